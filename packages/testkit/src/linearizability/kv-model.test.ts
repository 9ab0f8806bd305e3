import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import type { Operation } from './history.js';
import type { KvInput, KvOutput, KvState } from './kv-model.js';
import { kvModel } from './kv-model.js';
import { type KvHistory, cas, del, failed, ok, read, unknown, write } from './test-support/kv-history.js';

const x = 'x';

describe('kvModel', () => {
  it('works as the example in its documentation says', () => {
    const history: Operation<KvInput, KvOutput>[] = [
      { client: 'c1', invoke: 0, complete: 10, status: 'ok', input: { op: 'write', key: 'x', value: 'a' }, output: null },
      { client: 'c2', invoke: 5, complete: 12, status: 'ok', input: { op: 'read', key: 'x' }, output: 'a' },
      { client: 'c3', invoke: 6, status: 'unknown', input: { op: 'cas', key: 'x', expected: null, value: 'b' } },
    ];
    expect(checkLinearizability(kvModel, history).ok).toBe(true);
    expect(kvModel.step(null, { op: 'cas', key: 'x', expected: null, value: 'b' }, true)).toEqual({ ok: true, state: 'b' });
  });
});

describe('kvModel.step', () => {
  it('accepts a read only of the current value, or anything when the output is unknown', () => {
    expect(kvModel.step('a', read(x, 'a').input, 'a')).toEqual({ ok: true, state: 'a' });
    expect(kvModel.step('a', read(x, 'b').input, 'b').ok).toBe(false);
    expect(kvModel.step(null, read(x, null).input, null).ok).toBe(true);
    expect(kvModel.step('a', read(x, null).input, null).ok).toBe(false);
    expect(kvModel.step('a', read(x, null).input, undefined)).toEqual({ ok: true, state: 'a' });
  });

  it('overwrites on write and empties on delete, whatever the state', () => {
    expect(kvModel.step(null, write(x, 'a').input, null)).toEqual({ ok: true, state: 'a' });
    expect(kvModel.step('b', write(x, 'a').input, undefined)).toEqual({ ok: true, state: 'a' });
    expect(kvModel.step('b', del(x).input, null)).toEqual({ ok: true, state: null });
  });

  it('swaps on cas exactly when the state equals the expected value, absent included', () => {
    expect(kvModel.step('a', cas(x, 'a', 'b', true).input, true)).toEqual({ ok: true, state: 'b' });
    expect(kvModel.step('a', cas(x, 'z', 'b', true).input, true).ok).toBe(false);
    expect(kvModel.step('a', cas(x, 'z', 'b', false).input, false)).toEqual({ ok: true, state: 'a' });
    expect(kvModel.step('a', cas(x, 'a', 'b', false).input, false).ok).toBe(false);
    expect(kvModel.step(null, cas(x, null, 'b', true).input, true)).toEqual({ ok: true, state: 'b' });
    expect(kvModel.step('a', cas(x, null, 'b', false).input, false)).toEqual({ ok: true, state: 'a' });
  });

  it('takes effect if it can when a cas outcome is unknown', () => {
    expect(kvModel.step('a', cas(x, 'a', 'b', true).input, undefined)).toEqual({ ok: true, state: 'b' });
    expect(kvModel.step('a', cas(x, 'z', 'b', true).input, undefined)).toEqual({ ok: true, state: 'a' });
  });

  it('throws on outputs of the wrong type, which only a broken recorder produces', () => {
    expect(() => kvModel.step('a', read(x, 'a').input, true)).toThrow(/read must output a string or null/);
    expect(() => kvModel.step('a', cas(x, 'a', 'b', true).input, 'yes')).toThrow(/cas must output a boolean/);
    expect(() => kvModel.step('a', write(x, 'b').input, 'b')).toThrow(/write must output null/);
  });
});

describe('kvModel.isReadOnly', () => {
  it('holds for reads and failed swaps, which never change the state they are accepted in', () => {
    expect(kvModel.isReadOnly!(read(x, 'a').input, 'a')).toBe(true);
    expect(kvModel.isReadOnly!(cas(x, 'a', 'b', false).input, false)).toBe(true);
    expect(kvModel.isReadOnly!(cas(x, 'a', 'b', true).input, true)).toBe(false);
    expect(kvModel.isReadOnly!(write(x, 'a').input, null)).toBe(false);
    expect(kvModel.isReadOnly!(del(x).input, null)).toBe(false);
    const calls = [read(x, 'a'), read(x, null), cas(x, 'a', 'b', false), cas(x, null, 'b', false)];
    for (const state of [null, 'a', 'b']) {
      for (const call of calls) {
        const result = kvModel.step(state, call.input, call.output);
        if (result.ok) expect(result.state).toBe(state);
      }
    }
  });
});

describe('kvModel.stateKey', () => {
  it('keeps absent apart from every value, including the empty string and "0"', () => {
    const keys = [null, '', '0', 'a'].map((state) => kvModel.stateKey(state));
    expect(new Set(keys).size).toBe(4);
  });
});

describe('kvModel.partition', () => {
  it('splits by key in order of first appearance, keeping the operation objects', () => {
    const history: KvHistory = [ok('c1', 0, 1, write('b', 'v')), ok('c1', 2, 3, read('a', null)), ok('c2', 0, 5, read('b', 'v'))];
    const parts = kvModel.partition!(history);
    expect(parts.map((part) => part.key)).toEqual(['b', 'a']);
    expect(parts[0]!.operations).toEqual([history[0], history[2]]);
    expect(parts[0]!.operations[0]).toBe(history[0]);
  });
});

describe('kvModel.describeOperation', () => {
  it('shows values quoted, absent by name, and ? for unknown outputs', () => {
    const describe = kvModel.describeOperation!;
    expect(describe(read(x, 'a').input, 'a')).toBe('read(x) -> "a"');
    expect(describe(read(x, null).input, null)).toBe('read(x) -> absent');
    expect(describe(read(x, null).input, undefined)).toBe('read(x) -> ?');
    expect(describe(write(x, 'a').input, null)).toBe('write(x, "a")');
    expect(describe(cas(x, null, 'b', true).input, true)).toBe('cas(x, absent => "b") -> ok');
    expect(describe(cas(x, 'a', 'b', false).input, false)).toBe('cas(x, "a" => "b") -> fail');
    expect(describe(del(x).input, undefined)).toBe('delete(x)');
    expect(kvModel.describeState!(null)).toBe('absent');
  });
});

describe('kvModel.specialize', () => {
  const history: KvHistory = [
    ok('c1', 0, 1, write(x, 'seen')),
    ok('c2', 2, 3, read(x, 'seen')),
    unknown('c3', 4, write(x, 'u1')),
    unknown('c4', 4, write(x, 'u2')),
    failed('c5', 4, 5, write(x, 'u3')),
    ok('c6', 6, 7, cas(x, 'expected', 'u4', false)),
    unknown('c7', 8, cas(x, 'seen', 'u5', true)),
  ];
  const model = kvModel.specialize!(history);

  it('gives values that nothing observes one key, and keeps observed values and absence apart', () => {
    expect(model.stateKey('u1')).toBe(model.stateKey('u2'));
    expect(model.stateKey('u1')).toBe(model.stateKey('never mentioned'));
    const distinct = new Set([model.stateKey('u1'), model.stateKey('seen'), model.stateKey('expected'), model.stateKey(null)]);
    expect(distinct.size).toBe(4);
  });

  it('makes unknown writes of unobserved values interchangeable, and only those', () => {
    const effect = (input: KvInput) => model.effectKey!(input);
    expect(effect(write(x, 'u1').input)).toBe(effect(write(x, 'u2').input));
    expect(effect(write(x, 'u1').input)).not.toBe(effect(write(x, 'seen').input));
    expect(effect(cas(x, 'seen', 'u5', true).input)).toBe(effect(cas(x, 'seen', 'other', true).input));
    expect(effect(cas(x, 'seen', 'u5', true).input)).not.toBe(effect(cas(x, 'expected', 'u5', true).input));
    expect(effect(del(x).input)).not.toBe(effect(write(x, 'u1').input));
  });

  it('keys states so that no operation of the partition tells equal keys apart', () => {
    // The checker relies on this: equal keys must step alike under every operation of the partition.
    const states: KvState[] = [null, 'seen', 'expected', 'u1', 'u2', 'u4', 'other'];
    const mismatches: string[] = [];
    for (const a of states) {
      for (const b of states) {
        if (model.stateKey(a) !== model.stateKey(b)) continue;
        for (const op of history) {
          const outputs: (KvOutput | undefined)[] = op.status === 'ok' ? [op.output, undefined] : [undefined];
          for (const output of outputs) {
            const left = model.step(a, op.input, output);
            const right = model.step(b, op.input, output);
            if (left.ok !== right.ok || model.stateKey(left.state) !== model.stateKey(right.state)) {
              mismatches.push(`${String(a)} vs ${String(b)} under ${model.describeOperation!(op.input, output)}`);
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
