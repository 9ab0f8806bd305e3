import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import { InvalidHistoryError } from './history.js';
import { kvModel } from './kv-model.js';
import { type KvHistory, cas, del, failed, ok, read, unknown, write } from './test-support/kv-history.js';

function check(history: KvHistory) {
  return checkLinearizability(kvModel, history);
}

function expectLinearizable(history: KvHistory): void {
  const result = check(history);
  expect(result.ok, result.ok ? '' : result.explanation).toBe(true);
}

function expectViolation(history: KvHistory, key = 'x') {
  const result = check(history);
  expect(result.outcome).toBe('not-linearizable');
  if (result.outcome !== 'not-linearizable') throw new Error('unreachable');
  expect(result.key).toBe(key);
  return result;
}

describe('sequential histories', () => {
  it('accepts a read of the value a completed write stored', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, read('x', 'a'))]);
  });

  it('accepts a read of absent before the first write, and after a delete', () => {
    expectLinearizable([
      ok('c1', 0, 5, read('x', null)),
      ok('c1', 10, 20, write('x', 'a')),
      ok('c2', 30, 40, del('x')),
      ok('c1', 50, 60, read('x', null)),
    ]);
  });

  it('rejects a read of absent after a completed write (a stale read)', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, read('x', null))]);
  });

  it('rejects a read of an overwritten value after the overwrite completed', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c1', 20, 30, write('x', 'b')), ok('c2', 40, 50, read('x', 'a'))]);
  });

  it('accepts an empty history and one with nothing but failed and unknown operations', () => {
    expectLinearizable([]);
    expectLinearizable([failed('c1', 0, 10, write('x', 'a')), unknown('c2', 5, read('x', 'zzz'))]);
  });
});

describe('concurrent operations', () => {
  it('accepts concurrent writes whose overlapping reads see them in either order', () => {
    const writes = [ok('c1', 0, 100, write('x', 'a')), ok('c2', 0, 100, write('x', 'b'))];
    expectLinearizable([...writes, ok('c3', 10, 20, read('x', 'a')), ok('c3', 30, 40, read('x', 'b'))]);
    expectLinearizable([...writes, ok('c3', 10, 20, read('x', 'b')), ok('c3', 30, 40, read('x', 'a'))]);
  });

  it('accepts either final value of two concurrent writes', () => {
    const writes = [ok('c1', 0, 10, write('x', 'a')), ok('c2', 5, 15, write('x', 'b'))];
    expectLinearizable([...writes, ok('c3', 20, 30, read('x', 'a'))]);
    expectLinearizable([...writes, ok('c3', 20, 30, read('x', 'b'))]);
  });

  it('rejects two clients that see two concurrent writes in opposite orders', () => {
    expectViolation([
      ok('c1', 0, 100, write('x', 'a')),
      ok('c2', 0, 100, write('x', 'b')),
      ok('c3', 10, 20, read('x', 'a')),
      ok('c3', 30, 40, read('x', 'b')),
      ok('c4', 10, 20, read('x', 'b')),
      ok('c4', 30, 40, read('x', 'a')),
    ]);
  });

  it('rejects reads that disagree after both writes completed', () => {
    expectViolation([
      ok('c1', 0, 10, write('x', 'a')),
      ok('c2', 0, 10, write('x', 'b')),
      ok('c3', 20, 30, read('x', 'a')),
      ok('c4', 20, 30, read('x', 'b')),
    ]);
  });
});

describe('real-time order across clients', () => {
  it('rejects a read that misses a write completed, by another client, before it began', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, write('x', 'b')), ok('c3', 40, 50, read('x', 'a'))]);
  });

  it('rejects a read that sees a write invoked only after the read completed', () => {
    expectViolation([ok('c1', 0, 10, read('x', 'a')), ok('c2', 20, 30, write('x', 'a'))]);
  });

  it('treats an operation that completes at the instant another is invoked as concurrent with it', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), ok('c2', 10, 20, read('x', null))]);
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 11, 20, read('x', null))]);
    expectLinearizable([ok('c1', 0, 10, read('x', 'a')), ok('c2', 10, 20, write('x', 'a'))]);
  });
});

describe('compare-and-set', () => {
  it('accepts a successful swap and the read that sees its value', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, cas('x', 'a', 'b', true)), ok('c1', 40, 50, read('x', 'b'))]);
  });

  it('accepts a swap from absent, and a failed swap that leaves the value alone', () => {
    expectLinearizable([
      ok('c1', 0, 10, cas('x', null, 'a', true)),
      ok('c2', 20, 30, cas('x', 'b', 'c', false)),
      ok('c2', 40, 50, cas('x', null, 'c', false)),
      ok('c1', 60, 70, read('x', 'a')),
    ]);
  });

  it('rejects a swap that claims success from a value the key did not hold', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, cas('x', 'b', 'c', true))]);
  });

  it('rejects a swap that claims failure although the key held the expected value', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, cas('x', 'a', 'c', false))]);
  });

  it('accepts one winner among concurrent swaps from the same value, and rejects two', () => {
    expectLinearizable([ok('c1', 0, 10, cas('x', null, 'a', true)), ok('c2', 0, 10, cas('x', null, 'b', false))]);
    expectViolation([ok('c1', 0, 10, cas('x', null, 'a', true)), ok('c2', 0, 10, cas('x', null, 'b', true))]);
  });

  it('accepts a failed swap explained only by a concurrent write', () => {
    expectLinearizable([
      ok('c1', 0, 10, write('x', 'a')),
      ok('c2', 20, 40, write('x', 'b')),
      ok('c3', 20, 40, cas('x', 'a', 'c', false)),
      ok('c3', 50, 60, read('x', 'b')),
    ]);
  });
});

describe('operations with unknown outcome', () => {
  it('accepts an unknown write that a later read observes', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), unknown('c2', 20, write('x', 'b')), ok('c3', 100, 110, read('x', 'b'))]);
  });

  it('accepts an unknown write that nobody ever observes', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), unknown('c2', 20, write('x', 'b')), ok('c3', 100, 110, read('x', 'a'))]);
  });

  it('accepts an unknown write that takes effect long after its client gave up', () => {
    expectLinearizable([
      ok('c1', 0, 10, write('x', 'a')),
      { ...unknown('c2', 20, write('x', 'b')), complete: 30 },
      ok('c3', 40, 50, read('x', 'a')),
      ok('c3', 100, 110, read('x', 'b')),
    ]);
  });

  it('rejects a read that observes an unknown write before the write was invoked', () => {
    expectViolation([ok('c1', 0, 10, read('x', 'b')), unknown('c2', 20, write('x', 'b'))]);
    expectLinearizable([ok('c1', 0, 20, read('x', 'b')), unknown('c2', 20, write('x', 'b'))]);
  });

  it('accepts an observation that needs two unknown operations in a row', () => {
    expectLinearizable([
      unknown('c1', 0, cas('x', null, 'a', true)),
      unknown('c2', 0, cas('x', 'a', 'b', true)),
      ok('c3', 10, 20, read('x', 'b')),
    ]);
  });

  it('accepts an unknown write that takes effect after a completed write and the reads of it', () => {
    expectLinearizable([
      unknown('c1', 0, write('x', 'a')),
      ok('c2', 10, 20, write('x', 'b')),
      ok('c3', 30, 40, read('x', 'b')),
      ok('c3', 50, 60, read('x', 'a')),
    ]);
  });

  it('rejects reads that need an unknown write both before and after a completed write', () => {
    expectViolation([
      unknown('c1', 0, write('x', 'a')),
      ok('c2', 10, 20, write('x', 'b')),
      ok('c3', 30, 40, read('x', 'a')),
      ok('c3', 50, 60, read('x', 'b')),
    ]);
  });

  it('keeps an unknown operation for later when using it early leads nowhere', () => {
    // The search first reaches some placed set and state with the delete
    // already spent, and fails from there; reaching the same set and state
    // with the delete still unspent is a different case and must be explored.
    expectLinearizable([
      ok('c1', 0, 3, read('x', null)),
      ok('c2', 2, 2, write('x', 'c')),
      ok('c3', 2, 4, cas('x', null, 'b', true)),
      unknown('c4', 3, del('x')),
      ok('c5', 6, 10, read('x', null)),
      ok('c6', 7, 11, write('x', 'b')),
      ok('c7', 11, 12, write('x', 'd')),
    ]);
  });

  it('lets an unknown write take effect at most once', () => {
    expectViolation([
      ok('c1', 0, 10, write('x', 'a')),
      unknown('c2', 20, write('x', 'u')),
      ok('c1', 30, 40, read('x', 'u')),
      ok('c1', 50, 60, write('x', 'b')),
      ok('c1', 70, 80, read('x', 'u')),
    ]);
  });
});

describe('failed operations', () => {
  it('rejects a read that observes a failed write', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), failed('c2', 20, 30, write('x', 'b')), ok('c3', 40, 50, read('x', 'b'))]);
  });

  it('ignores a failed write that nobody observes', () => {
    expectLinearizable([ok('c1', 0, 10, write('x', 'a')), failed('c2', 5, 30, write('x', 'b')), ok('c3', 20, 50, read('x', 'a'))]);
  });
});

describe('several keys', () => {
  it('checks each key on its own and names the key that is not linearizable', () => {
    const history: KvHistory = [
      ok('c1', 0, 10, write('x', 'a')),
      ok('c1', 0, 10, write('y', 'a')),
      ok('c2', 20, 30, read('x', 'a')),
      ok('c2', 20, 30, read('y', null)),
    ];
    const result = expectViolation(history, 'y');
    expect(result.explanation).toContain('Key "y" is not linearizable');
  });

  it('does not mix values across keys', () => {
    expectViolation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, read('y', 'a'))], 'y');
  });
});

describe('malformed histories', () => {
  it('throws, naming the operation, when one completes before it is invoked', () => {
    expect(() => check([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 19, read('x', 'a'))])).toThrow(InvalidHistoryError);
    expect(() => check([ok('c1', 20, 19, read('x', 'a'))])).toThrow(/operation 0 completes at 19, before its invocation at 20/);
  });

  it('throws when an operation has no valid times', () => {
    expect(() => check([ok('c1', Number.NaN, 10, read('x', 'a'))])).toThrow(InvalidHistoryError);
    const missing = { client: 'c1', invoke: 0, status: 'ok', input: { op: 'read', key: 'x' }, output: 'a' } as unknown as KvHistory[number];
    expect(() => check([missing])).toThrow(/no completion time/);
  });

  it('throws when an output has the wrong type for its operation', () => {
    const history: KvHistory = [{ client: 'c1', invoke: 0, complete: 1, status: 'ok', input: { op: 'read', key: 'x' }, output: true }];
    expect(() => check(history)).toThrow(TypeError);
  });
});
