/**
 * The "committed entries exist on a quorum" check (SCENARIOS.md, openraft's
 * invariants) on hand-built durable logs: what it must accept and reject.
 */
import { type Entry, EntryType, MemoryStorage } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { type CommitDecision, CommitQuorumCheck } from './commit-quorum.js';

/** A durable log holding the bootstrap entry, then entries of these terms from index 2 on. */
function logWith(terms: number[]): MemoryStorage {
  const s = MemoryStorage.withMembers([1, 2, 3]);
  s.append(terms.map((term, i): Entry => ({ index: 2 + i, term, type: EntryType.Normal, data: new Uint8Array([i]) })));
  return s;
}

function decision(from: number, terms: number[], incoming: number[] = [1, 2, 3], outgoing: number[] = []): CommitDecision {
  return { leader: 1, term: terms[terms.length - 1]!, from, to: from + terms.length - 1, terms, incoming, outgoing };
}

describe('committed entries exist on a quorum', () => {
  it('accepts entries durable on a majority and rejects them on a minority', () => {
    const logs = new Map([
      [1, logWith([2, 2])],
      [2, logWith([2, 2])],
      [3, logWith([2])],
    ]);
    const check = new CommitQuorumCheck();
    expect(check.check(decision(2, [2, 2]), (id) => logs.get(id))).toBeUndefined();
    expect(check.decided(3)).toBe(true);
    logs.set(2, logWith([2]));
    expect(check.check(decision(3, [2]), (id) => logs.get(id))).toMatch(/entry 3 \(term 2\), which is durable on 1 of the voters 1,2,3/);
  });

  it('does not count an entry of another term at the same index', () => {
    const logs = new Map([
      [1, logWith([3])],
      [2, logWith([2])],
      [3, logWith([2])],
    ]);
    expect(new CommitQuorumCheck().check(decision(2, [3], [1, 2, 3]), (id) => logs.get(id))).toMatch(/durable on 1 of/);
  });

  it('judges an entry by the configuration its leader counted, not a later one', () => {
    // Committed by 1 and 2 of {1,2,3}; then 4 is promoted and lacks it: fine.
    const logs = new Map([
      [1, logWith([2, 2])],
      [2, logWith([2, 2])],
      [3, logWith([])],
      [4, logWith([])],
    ]);
    const check = new CommitQuorumCheck();
    expect(check.check(decision(2, [2]), (id) => logs.get(id))).toBeUndefined();
    // Under {1,2,3,4} two holders are not a majority.
    expect(check.check(decision(3, [2], [1, 2, 3, 4]), (id) => logs.get(id))).toMatch(/durable on 1,2 of the voters 1,2,3,4/);
  });

  it('needs both majorities of a joint configuration', () => {
    const logs = new Map([
      [1, logWith([2])],
      [2, logWith([2])],
      [3, logWith([])],
      [4, logWith([])],
      [5, logWith([])],
    ]);
    expect(new CommitQuorumCheck().check(decision(2, [2], [1, 2, 3], [3, 4, 5]), (id) => logs.get(id))).toMatch(/outgoing voters 3,4,5/);
    logs.set(4, logWith([2]));
    logs.set(5, logWith([2]));
    expect(new CommitQuorumCheck().check(decision(2, [2], [1, 2, 3], [3, 4, 5]), (id) => logs.get(id))).toBeUndefined();
  });

  it('counts compacted entries as held when the boundary entry is the committed one', () => {
    const check = new CommitQuorumCheck();
    const full = new Map([1, 2, 3].map((id) => [id, logWith([2, 2, 2])]));
    expect(check.check(decision(2, [2, 2, 2]), (id) => full.get(id))).toBeUndefined();
    // Member 2 compacted through 3 and member 3 installed a snapshot at 4: both still hold 2..4.
    const compacted = logWith([2, 2, 2, 3]);
    compacted.compact(3);
    const snapshotted = new MemoryStorage();
    snapshotted.applySnapshot({ metadata: { index: 4, term: 2, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array() });
    snapshotted.append([{ index: 5, term: 3, type: EntryType.Normal, data: new Uint8Array() }]);
    const logs = new Map([
      [1, logWith([2, 2, 2, 3])],
      [2, compacted],
      [3, snapshotted],
    ]);
    expect(check.check(decision(5, [3]), (id) => logs.get(id))).toBeUndefined();
    // A snapshot whose boundary entry is of another term does not hold what it covers.
    const wrong = new MemoryStorage();
    wrong.applySnapshot({ metadata: { index: 4, term: 9, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array() });
    const check2 = new CommitQuorumCheck();
    expect(check2.check(decision(2, [2, 2]), (id) => (id === 1 ? logWith([2, 2]) : wrong))).toMatch(/durable on 1 of/);
  });

  it('treats a member without storage as holding nothing', () => {
    const logs = new Map([[1, logWith([2])]]);
    expect(new CommitQuorumCheck().check(decision(2, [2]), (id) => logs.get(id))).toMatch(/durable on 1 of/);
  });
});
