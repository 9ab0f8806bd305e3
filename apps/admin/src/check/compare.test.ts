import { describe, expect, it } from 'vitest';
import { type HashSample, HashSamples, divergenceLine, judge } from './compare.js';

const sample = (id: number, appliedIndex: number, hash: string): HashSample => ({ id, address: `127.0.0.1:${id}`, appliedIndex, hash, keyCount: 3, revision: 9 });

describe('HashSamples', () => {
  it('compares members at the highest index every one of them was sampled at', () => {
    const s = new HashSamples();
    // Round 1: writes in flight, everyone at a different index.
    s.add(sample(1, 10, 'a'));
    s.add(sample(2, 9, 'x'));
    s.add(sample(3, 8, 'y'));
    expect(s.compare([1, 2, 3])).toBeUndefined();
    // Round 2: 2 and 3 reach 10 while 1 has moved on.
    s.add(sample(1, 12, 'c'));
    s.add(sample(2, 10, 'a'));
    s.add(sample(3, 10, 'a'));
    expect(s.compare([1, 2, 3])).toMatchObject({ kind: 'consistent', index: 10 });
  });

  it('has no verdict while a member was never sampled', () => {
    const s = new HashSamples();
    s.add(sample(1, 5, 'a'));
    expect(s.commonIndex([1, 2])).toBeUndefined();
  });
});

describe('judge', () => {
  it('names the member that differs from the majority', () => {
    const v = judge(7, [sample(1, 7, 'aa'), sample(2, 7, 'aa'), sample(3, 7, 'bb')]);
    expect(v.kind).toBe('diverged');
    if (v.kind !== 'diverged') return;
    expect(v.divergent.map((d) => [d.sample.id, d.agreeing])).toEqual([[3, [1, 2]]]);
    expect(divergenceLine(v.divergent[0]!)).toBe('member 3 (127.0.0.1:3): hash bb at applied index 7 differs from aa held by members 1, 2 (keys 3 vs 3, revision 9 vs 9)');
  });

  it('lists every member when no hash has a majority', () => {
    const v = judge(7, [sample(1, 7, 'aa'), sample(2, 7, 'bb')]);
    expect(v.kind === 'diverged' && v.divergent.map((d) => d.sample.id)).toEqual([1, 2]);
    expect(v.kind === 'diverged' && divergenceLine(v.divergent[0]!)).toMatch(/no hash is held by a majority/);
  });
});
