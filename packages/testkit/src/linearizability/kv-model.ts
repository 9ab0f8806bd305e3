import type { Operation } from './history.js';
import type { Model, Partition, StepResult } from './model.js';

/**
 * A request to the key-value store, on one key. Values are strings; `null`
 * stands for "absent" wherever a value may be missing. `cas` is
 * compare-and-set: it stores `value` if the key currently holds `expected`
 * (with `expected: null`, if the key is absent).
 */
export type KvInput =
  | { readonly op: 'read'; readonly key: string }
  | { readonly op: 'write'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/**
 * What the store answered: for `read`, the value (`null` if absent); for
 * `cas`, whether it swapped; for `write` and `delete`, `null`, since they
 * report nothing beyond success.
 */
export type KvOutput = string | null | boolean;

/** The value of one key, `null` when absent. */
export type KvState = string | null;

function stepRead(state: KvState, output: KvOutput | undefined): StepResult<KvState> {
  if (output === undefined) return { ok: true, state };
  if (typeof output === 'boolean') throw new TypeError(`a read must output a string or null, not ${output}`);
  return { ok: output === state, state };
}

function stepCas(
  state: KvState,
  input: { readonly expected: string | null; readonly value: string },
  output: KvOutput | undefined,
): StepResult<KvState> {
  const swaps = state === input.expected;
  const next = swaps ? input.value : state;
  if (output === undefined) return { ok: true, state: next };
  if (typeof output !== 'boolean') throw new TypeError(`a cas must output a boolean, not ${JSON.stringify(output)}`);
  return { ok: output === swaps, state: next };
}

function expectNoResult(op: string, output: KvOutput | undefined): void {
  // A write or delete that claims to return something is a recorder bug; say so rather than guess.
  if (output !== undefined && output !== null) throw new TypeError(`a ${op} must output null, not ${JSON.stringify(output)}`);
}

function showValue(value: string | null): string {
  return value === null ? 'absent' : JSON.stringify(value);
}

function showOutput(output: KvOutput | undefined): string {
  if (output === undefined) return '?';
  return typeof output === 'boolean' ? String(output) : showValue(output);
}

// Writes and deletes answer nothing, so only reads and swaps show an output (`?` when not known).
function describeKvOperation(input: KvInput, output: KvOutput | undefined): string {
  switch (input.op) {
    case 'read':
      return `read(${input.key}) -> ${showOutput(output)}`;
    case 'write':
      return `write(${input.key}, ${JSON.stringify(input.value)})`;
    case 'cas': {
      const swapped = output === undefined ? '?' : output === true ? 'ok' : 'fail';
      return `cas(${input.key}, ${showValue(input.expected)} => ${JSON.stringify(input.value)}) -> ${swapped}`;
    }
    case 'delete':
      return `delete(${input.key})`;
  }
}

/** The state key of a value that no operation of the partition can observe; absent is 0, observable values are themselves. */
const UNOBSERVED = 1;

type ValueKey = (value: string) => string | number;

const exactValue: ValueKey = (value) => value;

function effectKeyWith(valueKey: ValueKey, input: KvInput): string {
  const show = (value: string): string => {
    const key = valueKey(value);
    return typeof key === 'number' ? '?' : JSON.stringify(key);
  };
  switch (input.op) {
    case 'read':
      return 'read';
    case 'write':
      return `write ${show(input.value)}`;
    case 'cas':
      return `cas ${input.expected === null ? 'absent' : show(input.expected)} ${show(input.value)}`;
    case 'delete':
      return 'delete';
  }
}

/**
 * The values some operation can tell apart from others: those a read returns
 * and those a compare-and-set expects. Any other value behaves exactly like
 * any other such value under every operation of the partition.
 */
function observableValues(operations: readonly Operation<KvInput, KvOutput>[]): Set<string> {
  const observable = new Set<string>();
  for (const op of operations) {
    if (op.input.op === 'cas' && op.input.expected !== null) observable.add(op.input.expected);
    if (op.input.op === 'read' && op.status === 'ok' && typeof op.output === 'string') observable.add(op.output);
  }
  return observable;
}

function specializeKv(operations: readonly Operation<KvInput, KvOutput>[]): Model<KvState, KvInput, KvOutput> {
  const observable = observableValues(operations);
  const valueKey: ValueKey = (value) => (observable.has(value) ? value : UNOBSERVED);
  return {
    ...kvModel,
    stateKey: (state) => (state === null ? 0 : valueKey(state)),
    effectKey: (input) => effectKeyWith(valueKey, input),
  };
}

function partitionByKey(history: readonly Operation<KvInput, KvOutput>[]): Partition<KvInput, KvOutput>[] {
  const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
  for (const op of history) {
    const ops = byKey.get(op.input.key);
    if (ops) ops.push(op);
    else byKey.set(op.input.key, [op]);
  }
  return [...byKey].map(([key, operations]) => ({ key, operations }));
}

/**
 * The sequential specification of the key-value store that the simulator
 * drives: independent string registers, one per key, with read, write,
 * compare-and-set and delete. The history is partitioned per key, so each
 * key is checked on its own, and each key's model treats all values that no
 * read returns and no compare-and-set expects as one, since nothing in that
 * key's history can tell them apart.
 *
 * @example
 * ```ts
 * const history: Operation<KvInput, KvOutput>[] = [
 *   { client: 'c1', invoke: 0, complete: 10, status: 'ok', input: { op: 'write', key: 'x', value: 'a' }, output: null },
 *   { client: 'c2', invoke: 5, complete: 12, status: 'ok', input: { op: 'read', key: 'x' }, output: 'a' },
 *   { client: 'c3', invoke: 6, status: 'unknown', input: { op: 'cas', key: 'x', expected: null, value: 'b' } },
 * ];
 * checkLinearizability(kvModel, history).ok; // true
 *
 * kvModel.step(null, { op: 'cas', key: 'x', expected: null, value: 'b' }, true); // { ok: true, state: 'b' }
 * ```
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => null,

  step(state, input, output) {
    switch (input.op) {
      case 'read':
        return stepRead(state, output);
      case 'write':
        expectNoResult('write', output);
        return { ok: true, state: input.value };
      case 'cas':
        return stepCas(state, input, output);
      case 'delete':
        expectNoResult('delete', output);
        return { ok: true, state: null };
    }
  },

  isReadOnly: (input, output) => input.op === 'read' || (input.op === 'cas' && output === false),

  // No string is the number 0, so absence cannot collide with any value.
  stateKey: (state) => state ?? 0,

  effectKey: (input) => effectKeyWith(exactValue, input),

  // Unique written values are the norm, so without this every unknown write
  // would be its own case to try; with it, all writes of values nobody
  // observes are one.
  specialize: specializeKv,

  partition: partitionByKey,

  describeOperation: describeKvOperation,

  describeState: showValue,
};
