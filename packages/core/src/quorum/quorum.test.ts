import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { JointConfig } from './joint.js';
import { MajorityConfig, VoteResult } from './majority.js';

// Naive reference: the largest index i such that a majority has acked >= i.
function naiveCommitted(ids: number[], acked: Map<number, number>): number {
  if (ids.length === 0) return Number.POSITIVE_INFINITY;
  const candidates = new Set([0, ...ids.map((id) => acked.get(id) ?? 0)]);
  let best = 0;
  for (const c of candidates) {
    const n = ids.filter((id) => (acked.get(id) ?? 0) >= c).length;
    if (n > ids.length / 2 && c > best) best = c;
  }
  return best;
}

function naiveVote(ids: number[], votes: Map<number, boolean>): VoteResult {
  if (ids.length === 0) return VoteResult.Won;
  const yes = ids.filter((id) => votes.get(id) === true).length;
  const missing = ids.filter((id) => !votes.has(id)).length;
  if (yes > ids.length / 2) return VoteResult.Won;
  if (yes + missing > ids.length / 2) return VoteResult.Pending;
  return VoteResult.Lost;
}

describe('MajorityConfig', () => {
  it('agrees with a naive reference on random inputs (commit index and votes)', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 2000; round++) {
      const n = Math.floor(random() * 8);
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      const acked = new Map<number, number>();
      const votes = new Map<number, boolean>();
      for (const id of ids) {
        if (random() < 0.8) acked.set(id, Math.floor(random() * 20));
        const r = random();
        if (r < 0.4) votes.set(id, true);
        else if (r < 0.7) votes.set(id, false);
      }
      const cfg = new MajorityConfig(ids);
      expect(cfg.committedIndex((id) => acked.get(id))).toBe(naiveCommitted(ids, acked));
      expect(cfg.voteResult(votes)).toBe(naiveVote(ids, votes));
    }
  });

  it('commits what 2 of 3 acknowledged, and nothing a minority acknowledged', () => {
    const cfg = new MajorityConfig([1, 2, 3]);
    expect(cfg.committedIndex((id) => ({ 1: 10, 2: 7, 3: 2 })[id])).toBe(7);
    expect(cfg.committedIndex((id) => ({ 1: 10 })[id])).toBe(0);
    expect(cfg.toString()).toBe('(1 2 3)');
  });
});

describe('JointConfig', () => {
  it('needs both halves to commit and to win', () => {
    const joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4, 5]));
    const acked = new Map([
      [1, 9],
      [2, 9],
      [3, 5],
      [4, 6],
      [5, 1],
    ]);
    // Incoming majority is at 9, outgoing majority (3,4) only at 5.
    expect(joint.committedIndex((id) => acked.get(id))).toBe(5);
    expect(joint.voteResult(new Map([[1, true], [2, true]]))).toBe(VoteResult.Pending);
    expect(joint.voteResult(new Map([[1, true], [2, true], [4, false], [5, false]]))).toBe(VoteResult.Lost);
    expect(joint.voteResult(new Map([[1, true], [2, true], [3, true], [4, true]]))).toBe(VoteResult.Won);
    expect(joint.isJoint).toBe(true);
    expect([...joint.ids()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(joint.toString()).toBe('(1 2 3)&&(3 4 5)');
  });

  it('behaves like its incoming half when not joint', () => {
    const joint = new JointConfig(new MajorityConfig([1, 2, 3]));
    expect(joint.isJoint).toBe(false);
    expect(joint.committedIndex((id) => ({ 1: 4, 2: 4, 3: 1 })[id])).toBe(4);
    expect(joint.toString()).toBe('(1 2 3)');
  });
});
