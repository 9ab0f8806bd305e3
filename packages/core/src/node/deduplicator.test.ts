import { describe, expect, it } from 'vitest';
import { ProposalDeduplicator } from './deduplicator.js';

describe('ProposalDeduplicator', () => {
  it('accepts each proposal once, in any order within the window', () => {
    const d = new ProposalDeduplicator(8, 4);
    const id = (seq: number, member = 1, epoch = 1) => ({ member, epoch, seq });
    expect(d.firstTime(id(2), 10)).toBe(true);
    expect(d.firstTime(id(1), 11)).toBe(true);
    expect(d.firstTime(id(2), 12)).toBe(false);
    expect(d.firstTime(id(1, 2), 13)).toBe(true);
    for (let s = 3; s <= 30; s++) expect(d.firstTime(id(s), 13 + s)).toBe(true);
    // Far below the window: considered applied already.
    expect(d.firstTime(id(5), 50)).toBe(false);
    // A new epoch of the same member is a new session.
    expect(d.firstTime(id(2, 1, 2), 51)).toBe(true);
  });

  it('survives a round trip through its persisted form and evicts the idlest session', () => {
    const d = new ProposalDeduplicator(16, 2);
    d.firstTime({ member: 1, epoch: 1, seq: 1 }, 1);
    d.firstTime({ member: 2, epoch: 1, seq: 1 }, 2);
    const copy = ProposalDeduplicator.fromState(JSON.parse(JSON.stringify(d.toState())));
    expect(copy.firstTime({ member: 1, epoch: 1, seq: 1 }, 3)).toBe(false);
    copy.firstTime({ member: 3, epoch: 1, seq: 1 }, 4);
    expect(copy.size).toBe(2);
    // Member 2's session (idle since index 2) was forgotten.
    expect(copy.toState().sessions.map((s) => s[0])).toEqual([1, 3]);
  });
});
