import { type Entry, type Raft, StateRole } from '@raftkit/core';
import { type CommitDecision, CommitQuorumCheck, type DurableLogOf } from './commit-quorum.js';
import { entryDigest } from './entry-digest.js';
import { LogMatchingCheck, type LogView, compareLogs, identicalLogs } from './log-matching.js';

/** A safety property was broken. The message names the property, the members and the indexes. */
export class InvariantViolation extends Error {
  constructor(
    /** The property that broke, such as `log matching` or `linearizability`; it also begins the message. */
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/** What the checker needs to see of one member. */
export interface ObservedMember {
  /** The member's Raft id. */
  id: number;
  /** A new object after each restart. */
  raft: Raft;
  /** The state machine's applied index. */
  applied: number;
  /** The latest durable snapshot index (0 when the log was compacted past every snapshot). */
  snapshotIndex: number;
  /** The hard state as persisted (what survives a crash). */
  durable: { term: number; vote: number; commit: number };
  /** Identifies the member's storage; a member re-added with empty storage gets a new one. */
  storageGeneration: number;
  /**
   * The application keeps its state durable with the log and compacts
   * without snapshots (snapshots on demand): the log may then be purged
   * beyond the latest snapshot, but never beyond what was applied.
   */
  compactsWithoutSnapshots?: boolean;
}

/** What survives a crash of one member, tracked across its processes. */
interface DurableTrack {
  storageGeneration: number;
  term: number;
  vote: number;
  commit: number;
  applied: number;
}

/** One process of a member (one Raft object). */
interface ProcessTrack {
  term: number;
  vote: number;
  voteTerm: number;
  commit: number;
  applied: number;
  /** What this process checked as committed so far (to check only new ones). */
  checkedCommit: number;
}

interface LeaderTrack {
  lastIndex: number;
  lastDigest: string;
}

/**
 * Checks Raft's safety properties (paper, Figure 3, and the invariants of
 * ../shared/SCENARIOS.md) incrementally after every simulator step:
 * election safety, leader append-only, leader completeness, committed
 * entries never change (and exist on the committing member), committed
 * entries exist on a quorum (see {@link commitDecided}), log matching
 * (see {@link entriesAppended}), state machine safety (one value per
 * applied index across members), term/vote/commit/applied never going
 * backwards — in memory and durably, across restarts — and the ordering
 * purged <= snapshot <= applied <= committed <= last.
 *
 * The checks of what happens inside a step ({@link commitDecided},
 * {@link entriesAppended}) are fed by the simulator as the core acts; a
 * violation they find is thrown by the next {@link check}.
 */
export class InvariantChecker {
  private readonly leaders = new Map<number, number>();
  private readonly committed = new Map<number, string>();
  private readonly applied = new Map<number, string>();
  private readonly durable = new Map<number, DurableTrack>();
  private readonly processes = new WeakMap<Raft, ProcessTrack>();
  private readonly leaderTracks = new Map<string, LeaderTrack>();
  /** Per member, what processes of its current storage checked as committed. */
  private readonly lastChecked = new Map<number, number>();
  private readonly quorum = new CommitQuorumCheck();
  private readonly logMatching = new LogMatchingCheck();
  /** A violation found inside a step, thrown by the next check. */
  private pending: InvariantViolation | undefined;
  /** Checks run, for statistics. */
  checks = 0;

  /** Records what a member applied at `index`; two members applying different things at one index is a violation. */
  recordApplied(id: number, index: number, digest: string): void {
    const prev = this.applied.get(index);
    if (prev !== undefined && prev !== digest) {
      throw new InvariantViolation('state machine safety', `member ${id} applied "${digest}" at index ${index}, another member applied "${prev}"`);
    }
    this.applied.set(index, digest);
  }

  /**
   * A leader just advanced its commit index: checks that every newly
   * committed entry is durable on a quorum of the configuration it counted.
   * `durableLogOf` gives each member's durable log as of now.
   */
  commitDecided(decision: CommitDecision, durableLogOf: DurableLogOf): void {
    const problem = this.quorum.check(decision, durableLogOf);
    if (problem) this.fail('committed entries exist on a quorum', problem);
  }

  /** Entries were just appended to member `id`'s log after an entry of term `prevTerm` (undefined when compacted): checks log matching. */
  entriesAppended(id: number, entries: readonly Entry[], prevTerm: number | undefined): void {
    const problem = this.logMatching.appended(id, entries, prevTerm);
    if (problem) this.fail('log matching', problem);
  }

  /** A member process started over its stored log: checks that log once, entry by entry (later, only appends are checked). */
  memberStarted(id: number, raft: Raft): void {
    const problem = this.logMatching.wholeLog(id, raft);
    if (problem) this.fail('log matching', problem);
  }

  private fail(property: string, detail: string): void {
    this.pending ??= new InvariantViolation(property, detail);
  }

  /** Highest index known committed anywhere. */
  get maxCommitted(): number {
    let m = 0;
    for (const i of this.committed.keys()) if (i > m) m = i;
    return m;
  }

  /** Entries checked for log matching, for statistics. */
  get logEntriesChecked(): number {
    return this.logMatching.checked;
  }

  /** Checks every live member; call after each step. */
  check(live: readonly ObservedMember[]): void {
    this.checks++;
    if (this.pending) throw this.pending;
    for (const m of live) this.checkMember(m);
  }

  private checkMember(m: ObservedMember): void {
    const r = m.raft;
    const log = r.raftLog;
    const before = this.durable.get(m.id);
    const persistedCommit = before?.storageGeneration === m.storageGeneration ? before.commit : 0;
    this.checkDurable(m);
    let p = this.processes.get(r);
    if (!p) {
      // A new process starts from what its storage kept: its commit index may not be below what was persisted.
      if (log.committed < persistedCommit) {
        throw new InvariantViolation('durable commit index', `member ${m.id} restarted with commit ${log.committed}, below its persisted ${persistedCommit}`);
      }
      p = { term: r.term, vote: r.vote, voteTerm: r.term, commit: log.committed, applied: m.applied, checkedCommit: this.lastCheckedCommit(m, log.committed) };
      this.processes.set(r, p);
    }
    if (r.term < p.term) throw new InvariantViolation('monotonic term', `member ${m.id} term went from ${p.term} to ${r.term}`);
    if (r.term === p.voteTerm && p.vote !== 0 && r.vote !== p.vote) {
      throw new InvariantViolation('one vote per term', `member ${m.id} voted for ${p.vote} and then ${r.vote} in term ${r.term}`);
    }
    if (log.committed < p.commit) throw new InvariantViolation('monotonic commit', `member ${m.id} commit went from ${p.commit} to ${log.committed}`);
    if (m.applied < p.applied) throw new InvariantViolation('monotonic applied', `member ${m.id} applied went from ${p.applied} to ${m.applied}`);
    p.term = r.term;
    if (r.term !== p.voteTerm) {
      p.voteTerm = r.term;
      p.vote = r.vote;
    } else if (r.vote !== 0) {
      p.vote = r.vote;
    }
    p.commit = log.committed;
    p.applied = m.applied;

    this.checkOrdering(m);
    this.checkCommitted(m, p);
    if (r.state === StateRole.Leader) this.checkLeader(m);
  }

  /** Where a new process of `m` resumes checking commits: what an earlier process of the same storage checked, at most its commit. */
  private lastCheckedCommit(m: ObservedMember, commit: number): number {
    return Math.min(commit, this.lastChecked.get(m.id) ?? 0);
  }

  /** The durable hard state and applied index never go back across processes of one storage; one durable vote per term. */
  private checkDurable(m: ObservedMember): void {
    const d = this.durable.get(m.id);
    if (!d || d.storageGeneration !== m.storageGeneration) {
      this.durable.set(m.id, { storageGeneration: m.storageGeneration, ...m.durable, applied: m.applied });
      this.lastChecked.delete(m.id);
      return;
    }
    if (m.durable.term < d.term) {
      throw new InvariantViolation('durable term', `member ${m.id} persisted term ${m.durable.term} after term ${d.term}`);
    }
    if (m.durable.term === d.term && d.vote !== 0 && m.durable.vote !== d.vote) {
      throw new InvariantViolation('one vote per term', `member ${m.id} persisted votes for ${d.vote} and ${m.durable.vote} in term ${m.durable.term}`);
    }
    // Compared durable to durable: the persisted commit may lag the one in memory, but must never move back.
    if (m.durable.commit < d.commit) {
      throw new InvariantViolation('durable commit index', `member ${m.id} persisted commit ${m.durable.commit} after ${d.commit}`);
    }
    if (m.applied < d.applied) {
      throw new InvariantViolation('durable applied index', `member ${m.id} applied index went from ${d.applied} to ${m.applied}`);
    }
    d.term = m.durable.term;
    d.vote = m.durable.vote;
    d.commit = m.durable.commit;
    d.applied = m.applied;
  }

  /**
   * purged <= snapshot <= applied <= committed <= last, where purged is
   * what the durable log discarded. An application that compacts without
   * snapshots (its state is durable with the log) may purge beyond its
   * latest snapshot, but not beyond what it applied.
   */
  private checkOrdering(m: ObservedMember): void {
    const log = m.raft.raftLog;
    const purged = log.storage.firstIndex() - 1;
    const last = log.lastIndex();
    const purgeBound = m.compactsWithoutSnapshots ? m.applied : m.snapshotIndex;
    const ok = purged <= purgeBound && m.snapshotIndex <= m.applied && m.applied <= log.committed && log.committed <= last;
    if (!ok) {
      throw new InvariantViolation(
        'index ordering',
        `member ${m.id}: purged ${purged}, snapshot ${m.snapshotIndex}, applied ${m.applied}, committed ${log.committed}, last ${last}` +
          (m.compactsWithoutSnapshots ? ' (compacts without snapshots: purged may pass the snapshot, not the applied index)' : ''),
      );
    }
  }

  /** Committed entries never change, the committing member holds them, and some leader decided them. */
  private checkCommitted(m: ObservedMember, p: ProcessTrack): void {
    const log = m.raft.raftLog;
    if (log.committed <= p.checkedCommit) return;
    const lo = Math.max(p.checkedCommit + 1, log.firstIndex());
    if (!this.quorum.decided(log.committed)) {
      throw new InvariantViolation('committed entries exist on a quorum', `member ${m.id} committed through ${log.committed}, beyond anything a leader decided`);
    }
    if (lo <= log.committed) {
      for (const e of log.slice(lo, log.committed + 1, Number.MAX_SAFE_INTEGER)) this.recordCommitted(m.id, e.index, entryDigest(e));
    }
    p.checkedCommit = log.committed;
    this.lastChecked.set(m.id, log.committed);
  }

  private checkLeader(m: ObservedMember): void {
    const r = m.raft;
    const log = r.raftLog;
    const first = log.firstIndex();
    const last = log.lastIndex();
    // Election safety: one leader per term.
    const other = this.leaders.get(r.term);
    if (other !== undefined && other !== m.id) {
      throw new InvariantViolation('election safety', `members ${other} and ${m.id} are both leaders of term ${r.term}`);
    }
    const key = `${m.id}@${r.term}`;
    const track = this.leaderTracks.get(key);
    if (other === undefined || !track) {
      this.leaders.set(r.term, m.id);
      // Leader completeness (§5.4): a leader holds every entry committed in
      // an earlier term. Not those committed in its own term or later: a
      // candidate that won its term may take office late (its own vote
      // counts once durable), after the others moved on to a later term
      // and committed more; such a stale leader can commit nothing.
      for (const [i, d] of this.committed) {
        if (i < first || (this.quorum.commitTerm(i) ?? 0) >= r.term) continue;
        const [e] = i <= last ? log.slice(i, i + 1, Number.MAX_SAFE_INTEGER) : [];
        if (!e || entryDigest(e) !== d) {
          throw new InvariantViolation('leader completeness', `leader ${m.id} of term ${r.term} lacks committed entry ${i}`);
        }
      }
    } else {
      // Leader append-only: what it had stays, its log only grows.
      if (last < track.lastIndex) throw new InvariantViolation('leader append-only', `leader ${m.id} of term ${r.term} shrank its log from ${track.lastIndex} to ${last}`);
      if (track.lastIndex >= first) {
        const [e] = log.slice(track.lastIndex, track.lastIndex + 1, Number.MAX_SAFE_INTEGER);
        if (entryDigest(e!) !== track.lastDigest) {
          throw new InvariantViolation('leader append-only', `leader ${m.id} of term ${r.term} overwrote its entry ${track.lastIndex}`);
        }
      }
    }
    const [lastEntry] = last >= first ? log.slice(last, last + 1, Number.MAX_SAFE_INTEGER) : [];
    this.leaderTracks.set(key, { lastIndex: last, lastDigest: lastEntry ? entryDigest(lastEntry) : '' });
  }

  private recordCommitted(id: number, index: number, digest: string): void {
    const prev = this.committed.get(index);
    if (prev !== undefined && prev !== digest) {
      throw new InvariantViolation('committed entries never change', `member ${id} has ${digest} committed at index ${index}, previously ${prev}`);
    }
    this.committed.set(index, digest);
  }

  /**
   * Log matching across whole logs (paper §5.3): if two logs hold an entry
   * with the same index and term, they are identical up to that index. The
   * incremental check ({@link entriesAppended}) covers every step; this one
   * compares the logs themselves.
   */
  checkLogMatching(live: readonly LogView[]): void {
    const problem = compareLogs(live);
    if (problem) throw new InvariantViolation('log matching', problem);
  }

  /** Once everything is replicated: every member holds the same log (where compaction left both an entry). */
  checkIdenticalLogs(members: readonly LogView[]): void {
    const problem = identicalLogs(members);
    if (problem) throw new InvariantViolation('identical logs', problem);
  }
}
