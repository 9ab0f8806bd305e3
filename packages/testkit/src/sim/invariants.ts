import { type Entry, type Raft, StateRole } from '@raftkit/core';

/** A safety property was broken. The message names the property, the members and the indexes. */
export class InvariantViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/** What the checker needs to see of one member. */
export interface ObservedMember {
  id: number;
  /** A new object after each restart. */
  raft: Raft;
  /** The state machine's applied index. */
  applied: number;
  /** The latest durable snapshot index. */
  snapshotIndex: number;
  /** The hard state as persisted (what survives a crash). */
  durable: { term: number; vote: number };
  /** Identifies the member's storage; a member re-added with empty storage gets a new one. */
  storageGeneration: number;
}

const digests = new WeakMap<Entry, string>();

/** A stable identity of an entry's content, cached per entry object. */
function entryDigest(e: Entry): string {
  let d = digests.get(e);
  if (d === undefined) {
    let h = 2166136261;
    for (let i = 0; i < e.data.length; i++) h = Math.imul(h ^ e.data[i]!, 16777619);
    d = `${e.term}/${e.type}/${e.data.length}/${(h >>> 0).toString(16)}`;
    digests.set(e, d);
  }
  return d;
}

interface MemberTrack {
  raft: Raft;
  storageGeneration: number;
  durableTerm: number;
  durableVote: number;
  term: number;
  vote: number;
  vote_term: number;
  commit: number;
  applied: number;
  /** What this member checked as committed so far (to check only new ones). */
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
 * entries never change (and exist on the committing member), state machine
 * safety (one value per applied index across members), term/vote/commit/
 * applied never going backwards, and the ordering
 * purged <= snapshot <= applied <= committed <= last. Log matching across
 * members is checked by {@link checkLogMatching}, which is costlier.
 */
export class InvariantChecker {
  private readonly leaders = new Map<number, number>();
  private readonly committed = new Map<number, string>();
  private readonly applied = new Map<number, string>();
  private readonly members = new Map<number, MemberTrack>();
  private readonly leaderTracks = new Map<string, LeaderTrack>();
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

  /** Highest index known committed anywhere. */
  get maxCommitted(): number {
    let m = 0;
    for (const i of this.committed.keys()) if (i > m) m = i;
    return m;
  }

  /** Checks every live member; call after each step. */
  check(live: readonly ObservedMember[]): void {
    this.checks++;
    for (const m of live) this.checkMember(m);
  }

  private checkMember(m: ObservedMember): void {
    const r = m.raft;
    const log = r.raftLog;
    let t = this.members.get(m.id);
    if (t && t.storageGeneration !== m.storageGeneration) t = undefined;
    if (t) {
      // Durable hard state: the term never goes back, one vote per term.
      if (m.durable.term < t.durableTerm) {
        throw new InvariantViolation('durable term', `member ${m.id} persisted term ${m.durable.term} after term ${t.durableTerm}`);
      }
      if (m.durable.term === t.durableTerm && t.durableVote !== 0 && m.durable.vote !== t.durableVote) {
        throw new InvariantViolation('one vote per term', `member ${m.id} persisted votes for ${t.durableVote} and ${m.durable.vote} in term ${m.durable.term}`);
      }
      if (m.applied < t.applied) {
        throw new InvariantViolation('durable applied index', `member ${m.id} applied index went from ${t.applied} to ${m.applied}`);
      }
    }
    if (!t || t.raft !== r) {
      t = {
        raft: r,
        storageGeneration: m.storageGeneration,
        durableTerm: m.durable.term,
        durableVote: m.durable.vote,
        term: r.term,
        vote: r.vote,
        vote_term: r.term,
        commit: log.committed,
        applied: m.applied,
        checkedCommit: Math.min(log.committed, t?.checkedCommit ?? 0),
      };
      this.members.set(m.id, t);
    }
    t.durableTerm = m.durable.term;
    t.durableVote = m.durable.vote;
    if (r.term < t.term) throw new InvariantViolation('monotonic term', `member ${m.id} term went from ${t.term} to ${r.term}`);
    if (r.term === t.vote_term && t.vote !== 0 && r.vote !== t.vote) {
      throw new InvariantViolation('one vote per term', `member ${m.id} voted for ${t.vote} and then ${r.vote} in term ${r.term}`);
    }
    if (log.committed < t.commit) throw new InvariantViolation('monotonic commit', `member ${m.id} commit went from ${t.commit} to ${log.committed}`);
    if (m.applied < t.applied) throw new InvariantViolation('monotonic applied', `member ${m.id} applied went from ${t.applied} to ${m.applied}`);
    t.term = r.term;
    if (r.term !== t.vote_term) {
      t.vote_term = r.term;
      t.vote = r.vote;
    } else if (r.vote !== 0) {
      t.vote = r.vote;
    }
    t.commit = log.committed;
    t.applied = m.applied;

    const first = log.firstIndex();
    const last = log.lastIndex();
    if (!(first - 1 <= Math.max(m.snapshotIndex, first - 1) && m.applied <= log.committed && log.committed <= last)) {
      throw new InvariantViolation(
        'index ordering',
        `member ${m.id}: purged ${first - 1}, snapshot ${m.snapshotIndex}, applied ${m.applied}, committed ${log.committed}, last ${last}`,
      );
    }

    // Committed entries never change, and the committing member holds them.
    if (log.committed > t.checkedCommit) {
      const lo = Math.max(t.checkedCommit + 1, first);
      if (lo <= log.committed) {
        for (const e of log.slice(lo, log.committed + 1, Number.MAX_SAFE_INTEGER)) this.recordCommitted(m.id, e.index, entryDigest(e));
      }
      t.checkedCommit = log.committed;
    }

    if (r.state !== StateRole.Leader) return;
    // Election safety: one leader per term.
    const other = this.leaders.get(r.term);
    if (other !== undefined && other !== m.id) {
      throw new InvariantViolation('election safety', `members ${other} and ${m.id} are both leaders of term ${r.term}`);
    }
    const key = `${m.id}@${r.term}`;
    const track = this.leaderTracks.get(key);
    if (other === undefined || !track) {
      this.leaders.set(r.term, m.id);
      // Leader completeness: a new leader holds every committed entry.
      for (const [i, d] of this.committed) {
        if (i < first) continue;
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
   * Log matching (paper §5.3): if two logs hold an entry with the same index
   * and term, they are identical up to that index.
   */
  checkLogMatching(live: readonly ObservedMember[]): void {
    const logs = live.map((m) => {
      const log = m.raft.raftLog;
      const first = log.firstIndex();
      const last = log.lastIndex();
      const ents = last >= first ? log.slice(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
      return { id: m.id, first, ents };
    });
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const A = logs[a]!;
        const B = logs[b]!;
        const lo = Math.max(A.first, B.first);
        const hi = Math.min(A.first + A.ents.length, B.first + B.ents.length) - 1;
        let matchAt = -1;
        for (let i = hi; i >= lo; i--) {
          if (A.ents[i - A.first]!.term === B.ents[i - B.first]!.term) {
            matchAt = i;
            break;
          }
        }
        for (let i = matchAt; i >= lo && matchAt >= 0; i--) {
          if (entryDigest(A.ents[i - A.first]!) !== entryDigest(B.ents[i - B.first]!)) {
            throw new InvariantViolation('log matching', `members ${A.id} and ${B.id} agree on the term at ${matchAt} but differ at ${i}`);
          }
        }
      }
    }
  }
}
