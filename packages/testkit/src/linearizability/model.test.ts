import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import type { Operation } from './history.js';
import { type Model, WHOLE_HISTORY_KEY } from './model.js';

type CounterInput = { op: 'add'; by: number } | { op: 'get' };
type CounterOutput = number | null;

/** A single counter, the model from the documentation of `Model`. */
const counter: Model<number, CounterInput, CounterOutput> = {
  init: () => 0,
  step(state, input, output) {
    if (input.op === 'add') return { ok: true, state: state + input.by };
    return { ok: output === undefined || output === state, state };
  },
  stateKey: (state) => state,
};

const add = (client: number, invoke: number, by = 1): Operation<CounterInput, CounterOutput> => ({
  client,
  invoke,
  status: 'unknown',
  input: { op: 'add', by },
});
const get = (client: number, invoke: number, complete: number, value: number): Operation<CounterInput, CounterOutput> => ({
  client,
  invoke,
  complete,
  status: 'ok',
  input: { op: 'get' },
  output: value,
});

describe('a model of its own', () => {
  it('works as the example in the documentation of Model says', () => {
    const result = checkLinearizability(counter, [
      { client: 1, invoke: 0, complete: 2, status: 'ok', input: { op: 'add', by: 5 }, output: null },
      { client: 2, invoke: 1, complete: 3, status: 'ok', input: { op: 'get' }, output: 5 },
    ]);
    expect(result.ok).toBe(true);
  });

  it('is checked as one partition when it does not partition', () => {
    const result = checkLinearizability(counter, [add(1, 0, 5), get(2, 1, 3, 5), get(2, 4, 6, 0)]);
    expect(result.outcome).toBe('not-linearizable');
    if (result.outcome !== 'not-linearizable') return;
    expect(result.key).toBe(WHOLE_HISTORY_KEY);
    expect(result.explanation).toMatch(/^The history is not linearizable\./);
    // Without describeOperation, operations are shown as JSON.
    expect(result.explanation).toContain('{"op":"get"} -> 0');
  });

  it('can need several unknown operations in a row before one observation', () => {
    expect(checkLinearizability(counter, [add(1, 0), add(2, 0), add(3, 0), get(4, 1, 2, 2)]).ok).toBe(true);
    expect(checkLinearizability(counter, [add(1, 0), add(2, 0), add(3, 0), get(4, 1, 2, 4)]).ok).toBe(false);
  });

  it('refuses a partition that holds operations the history does not', () => {
    const inventing: Model<number, CounterInput, CounterOutput> = {
      ...counter,
      partition: (history) => [{ key: 'all', operations: [...history, add(9, 0)] }],
    };
    expect(() => checkLinearizability(inventing, [get(1, 0, 1, 0)])).toThrow(/holds an operation that is not in the history/);
  });

  it('tries interchangeable unknown operations once, not once per member, when it declares an effect key', () => {
    const history = [...Array.from({ length: 24 }, (_, i) => add(i, 0)), get(99, 1, 2, 12)];
    const limits = { maxStepsPerKey: 20_000 };
    const withEffectKey = checkLinearizability({ ...counter, effectKey: (input) => JSON.stringify(input) }, history, limits);
    expect(withEffectKey.ok).toBe(true);
    // Without it every subset of the 24 additions is a different case.
    expect(checkLinearizability(counter, history, limits).outcome).toBe('timeout');
  });
});
