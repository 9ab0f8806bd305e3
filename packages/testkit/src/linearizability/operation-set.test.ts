import { seededRandom, randomInt } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { OperationSet } from './operation-set.js';

function setOf(size: number, members: Iterable<number>): OperationSet {
  const set = new OperationSet(size);
  for (const member of members) set.add(member);
  return set;
}

describe('OperationSet', () => {
  it('agrees with a plain Set when used like the search uses it, across word boundaries', () => {
    const random = seededRandom(7);
    const size = 100;
    const set = new OperationSet(size);
    const reference = new Set<number>();
    // Like the search: add near the lowest missing index, undo in reverse order.
    const added: number[] = [];
    const disagreements: string[] = [];
    let fullWordsSeen = 0;
    for (let i = 0; i < 3_000; i++) {
      let lowestMissing = 0;
      while (reference.has(lowestMissing)) lowestMissing++;
      const nearby = [0, 1, 2, 3].map((offset) => lowestMissing + offset).filter((j) => j < size && !reference.has(j));
      if (added.length > 0 && (random() < 0.35 || nearby.length === 0)) {
        const undone = added.pop()!;
        set.delete(undone);
        reference.delete(undone);
      } else {
        const index = nearby[randomInt(random, 0, nearby.length)]!;
        set.add(index);
        reference.add(index);
        added.push(index);
      }
      if (lowestMissing >= 32) fullWordsSeen++;
      const probe = randomInt(random, 0, size);
      const rebuilt = setOf(size, reference);
      if (set.has(probe) !== reference.has(probe)) disagreements.push(`step ${i}: has(${probe})`);
      if (!rebuilt.equals(set.snapshot()) || !set.equals(rebuilt.snapshot())) disagreements.push(`step ${i}: equals`);
      if (set.hash !== rebuilt.hash) disagreements.push(`step ${i}: hash`);
    }
    expect(disagreements).toEqual([]);
    expect(fullWordsSeen).toBeGreaterThan(100);
  });

  it('tells sets apart that differ in one member, even inside the all-ones prefix', () => {
    const full = setOf(70, Array.from({ length: 70 }, (_, i) => i));
    const missingOne = setOf(70, Array.from({ length: 70 }, (_, i) => i).filter((i) => i !== 3));
    expect(full.equals(missingOne.snapshot())).toBe(false);
    expect(missingOne.equals(full.snapshot())).toBe(false);
    expect(full.hash).not.toBe(missingOne.hash);
  });

  it('decides inclusion of snapshots', () => {
    const small = setOf(80, [1, 2, 40]);
    const large = setOf(80, [0, 1, 2, 3, 40, 79]);
    expect(large.includes(small.snapshot())).toBe(true);
    expect(small.includes(large.snapshot())).toBe(false);
    expect(small.includes(setOf(80, []).snapshot())).toBe(true);
    const prefix = setOf(80, Array.from({ length: 33 }, (_, i) => i));
    expect(large.includes(prefix.snapshot())).toBe(false);
    expect(setOf(80, [...Array.from({ length: 40 }, (_, i) => i), 79]).includes(prefix.snapshot())).toBe(true);
  });

  it('keeps snapshots unaffected by later changes', () => {
    const set = setOf(10, [1, 2]);
    const before = set.snapshot();
    set.add(5);
    expect(set.equals(before)).toBe(false);
    set.delete(5);
    expect(set.equals(before)).toBe(true);
  });
});
