import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import { kvModel } from './kv-model.js';
import type { NotLinearizable } from './result.js';
import type { KvInput, KvOutput } from './kv-model.js';
import { type KvHistory, failed, ok, read, unknown, write } from './test-support/kv-history.js';

function violation(history: KvHistory): NotLinearizable<KvInput, KvOutput> {
  const result = checkLinearizability(kvModel, history);
  if (result.outcome !== 'not-linearizable') throw new Error(`expected a violation, got ${result.outcome}`);
  return result;
}

describe('the report of a violation', () => {
  it('explains a stale read: the prefix, the state, what could not come next, and a timeline', () => {
    const result = violation([ok('c1', 0, 10, write('x', 'a')), ok('c2', 20, 30, read('x', null))]);
    expect(result.longestPrefix.map((entry) => entry.index)).toEqual([0]);
    expect(result.stateAfterPrefix).toBe('"a"');
    expect(result.blocking.index).toBe(1);
    expect(result.unplaced.map((entry) => entry.description)).toEqual(['read(x) -> absent']);
    expect(result.explanation).toBe(
      [
        'Key "x" is not linearizable.',
        '',
        'Longest linearizable prefix found: 1 of 2 completed operations placed.',
        '  #0 c1: write(x, "a")  [0, 10]',
        'State after the prefix: "a"',
        '',
        'Nothing can come next. One of these had to take effect before #1 completed at 30, and none leads to a linearization:',
        '  #1 c2: read(x) -> absent  [20, 30]  -- impossible in state "a"',
        '',
        'Operations around the failure:',
        '  c1  [=]       #0 write(x, "a")  [0, 10]',
        '  c2      [=]   #1 read(x) -> absent  [20, 30]',
      ].join('\n'),
    );
  });

  it('places the unknown operations the search let take effect inside the prefix', () => {
    const result = violation([
      ok('c1', 0, 10, write('x', 'a')),
      unknown('c2', 12, write('x', 'u')),
      ok('c3', 20, 30, read('x', 'u')),
      ok('c1', 40, 50, read('x', 'a')),
    ]);
    expect(result.longestPrefix.map((entry) => entry.index)).toEqual([0, 1, 2]);
    expect(result.stateAfterPrefix).toBe('"u"');
    expect(result.explanation).toContain('#1 c2: write(x, "u")  [12, ?) outcome unknown');
  });

  it('shows a failed write in the timeline when a read returns its value', () => {
    const result = violation([ok('c1', 0, 10, write('x', 'a')), failed('c2', 12, 18, write('x', 'b')), ok('c3', 20, 30, read('x', 'b'))]);
    expect(result.unplaced.map((entry) => entry.index)).toEqual([2]);
    expect(result.explanation).toMatch(/c2 +\[\.\] +#1 write/);
    expect(result.explanation).toContain('#1 write(x, "b")  [12, 18] failed');
  });

  it('names the operation that could not be placed after concurrent ones, and why', () => {
    const result = violation([
      ok('c1', 0, 10, write('x', 'a')),
      ok('c2', 0, 10, write('x', 'b')),
      ok('c3', 20, 30, read('x', 'a')),
      ok('c4', 20, 30, read('x', 'b')),
    ]);
    expect(result.longestPrefix.map((entry) => entry.index)).toEqual([0, 1, 3]);
    expect(result.blocking.index).toBe(2);
    expect(result.explanation).toContain('#2 c3: read(x) -> "a"  [20, 30]  -- impossible in state "b"');
  });

  it('keeps the explanation short when the prefix is long or old unknown operations pile up', () => {
    const history: KvHistory = [
      ok('c0', 0, 1, write('x', 'a')),
      ...Array.from({ length: 10 }, (_, i) => unknown(`u${i}`, 2 + i, write('x', `u${i}`))),
      ...Array.from({ length: 12 }, (_, i) => ok('r', 20 + 2 * i, 21 + 2 * i, read('x', 'a'))),
      ok('r', 50, 51, read('x', 'never written')),
    ];
    const result = violation(history);
    expect(result.longestPrefix).toHaveLength(13);
    expect(result.unplaced).toHaveLength(11);
    expect(result.explanation).toContain('(5 earlier operations)');
    expect(result.explanation).toContain('(and 4 older unknown-outcome operations that do not help either)');
    expect(result.explanation.split('\n').length).toBeLessThan(40);
  });
});
