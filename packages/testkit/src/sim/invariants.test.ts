/**
 * The invariant checker on hand-built observations: each check must fire
 * on the state it forbids (the simulator runs show it stays quiet on
 * correct runs).
 */
import { type Entry, EntryType, MemoryStorage, MessageType, type Raft, RawNode, StateRole, message } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { InvariantChecker, type ObservedMember } from './invariants.js';

function raftOver(storage: MemoryStorage): Raft {
  return new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1 }).raft;
}

/** Member 1 of voters 1, 2, 3, elected leader of term 2 with member 2's vote; its log: the bootstrap entry, then its own at 2. */
function leaderOfTerm2(): Raft {
  const storage = MemoryStorage.withMembers([1, 2, 3]);
  const node = new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1, preVote: false });
  node.campaign();
  const persist = (): void => {
    while (node.hasReady()) {
      const rd = node.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      node.advance();
    }
  };
  persist();
  node.step(message({ type: MessageType.VoteResp, from: 2, to: 1, term: 2 }));
  persist();
  expect(node.raft.state).toBe(StateRole.Leader);
  return node.raft;
}

function entry(index: number, term: number, byte = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array([byte]) };
}

/** A founding single-member log (bootstrap entry at 1) with entries of term 2 up to `last`, committed through `commit`. */
function storageWith(last: number, commit: number): MemoryStorage {
  const s = MemoryStorage.withMembers([1]);
  for (let i = 2; i <= last; i++) s.append([entry(i, 2)]);
  s.setHardState({ term: 2, vote: 1, commit });
  return s;
}

function observe(raft: Raft, overrides: Partial<ObservedMember> = {}): ObservedMember {
  return { id: 1, raft, applied: 1, snapshotIndex: 1, durable: { term: 2, vote: 1, commit: 1 }, storageGeneration: 1, ...overrides };
}

describe('the invariant checker', () => {
  it('rejects a persisted commit index that moves back', () => {
    const checker = new InvariantChecker();
    const raft = raftOver(storageWith(1, 1));
    checker.check([observe(raft, { durable: { term: 2, vote: 1, commit: 5 } })]);
    checker.check([observe(raft, { durable: { term: 2, vote: 1, commit: 5 } })]);
    expect(() => checker.check([observe(raft, { durable: { term: 2, vote: 1, commit: 3 } })])).toThrow(/durable commit index: member 1 persisted commit 3 after 5/);
  });

  it('rejects a restart whose commit index is below what was persisted', () => {
    const checker = new InvariantChecker();
    checker.check([observe(raftOver(storageWith(1, 1)), { durable: { term: 2, vote: 1, commit: 4 } })]);
    // A new process (a new Raft) over the same storage, starting at commit 1.
    expect(() => checker.check([observe(raftOver(storageWith(1, 1)), { durable: { term: 2, vote: 1, commit: 4 } })])).toThrow(
      /restarted with commit 1, below its persisted 4/,
    );
    // The same with new, empty storage (a member re-added) is a fresh start.
    const fresh = new InvariantChecker();
    fresh.check([observe(raftOver(storageWith(1, 1)), { durable: { term: 2, vote: 1, commit: 4 } })]);
    fresh.check([observe(raftOver(storageWith(1, 1)), { durable: { term: 2, vote: 1, commit: 1 }, storageGeneration: 2 })]);
  });

  it('checks purged <= snapshot <= applied, or purged <= applied without snapshots', () => {
    const raft = raftOver(storageWith(1, 1));
    expect(() => new InvariantChecker().check([observe(raft, { snapshotIndex: 2 })])).toThrow(/index ordering: member 1: purged 1, snapshot 2, applied 1/);
    // The log is purged through 1 (the bootstrap snapshot).
    expect(() => new InvariantChecker().check([observe(raft, { snapshotIndex: 0, applied: 0 })])).toThrow(/purged 1, snapshot 0/);
    expect(() => new InvariantChecker().check([observe(raft, { snapshotIndex: 0, applied: 0, compactsWithoutSnapshots: true })])).toThrow(
      /purged may pass the snapshot, not the applied index/,
    );
    // Compacting past the latest snapshot is what on-demand snapshots do.
    new InvariantChecker().check([observe(raft, { snapshotIndex: 0, applied: 1, compactsWithoutSnapshots: true })]);
  });

  it('rejects a commit index no leader decided', () => {
    const raft = raftOver(storageWith(3, 3));
    expect(() => new InvariantChecker().check([observe(raft, { applied: 3 })])).toThrow(/committed through 3, beyond anything a leader decided/);
  });

  it('owes leader completeness to leaders of later terms only', () => {
    // Entry 2 committed by member 9 as leader of `commitTerm`, seen committed on member 9.
    const seen = (commitTerm: number): InvariantChecker => {
      const checker = new InvariantChecker();
      const log = MemoryStorage.withMembers([9]);
      log.append([entry(2, commitTerm)]);
      log.setHardState({ term: commitTerm, vote: 9, commit: 2 });
      checker.commitDecided({ leader: 9, term: commitTerm, from: 2, to: 2, terms: [commitTerm], incoming: [9], outgoing: [] }, () => log);
      const raft = new RawNode({ id: 9, storage: log, electionTick: 10, heartbeatTick: 1 }).raft;
      checker.check([{ id: 9, raft, applied: 2, snapshotIndex: 1, durable: { term: commitTerm, vote: 9, commit: 2 }, storageGeneration: 1 }]);
      return checker;
    };
    const leader = leaderOfTerm2();
    const asLeader = (): ObservedMember => observe(leader, { durable: { term: 2, vote: 1, commit: 1 } });
    // Committed in term 3: a leader of term 2 that took office late need not hold it.
    seen(3).check([asLeader()]);
    // Committed in term 1: a leader of term 2 must hold it.
    expect(() => seen(1).check([asLeader()])).toThrow(/leader completeness: leader 1 of term 2 lacks committed entry 2/);
  });

  it('rejects two entries with one index and term, or one entry after different terms', () => {
    const checker = new InvariantChecker();
    checker.entriesAppended(1, [entry(5, 2, 1), entry(6, 2, 1)], 2);
    checker.entriesAppended(2, [entry(5, 2, 1)], 2);
    checker.entriesAppended(3, [entry(5, 2, 7)], 2);
    expect(() => checker.check([])).toThrow(/log matching: members 1 and 3 hold different entries at index 5 of term 2/);
    const other = new InvariantChecker();
    other.entriesAppended(1, [entry(5, 2, 1)], 2);
    other.entriesAppended(2, [entry(5, 2, 1)], 1);
    expect(() => other.check([])).toThrow(/after entries of different terms \(2 vs 1\)/);
  });
});
