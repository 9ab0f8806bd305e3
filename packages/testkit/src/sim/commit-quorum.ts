import { BOOTSTRAP_INDEX, BOOTSTRAP_TERM, type LogStorage } from '@raftkit/core';

/**
 * A leader's decision to advance its commit index, as observed the moment
 * it was made: the entries (by index and term) it declared committed and
 * the voters it counted, both halves of a joint configuration.
 */
export interface CommitDecision {
  /** Id of the leader that decided. */
  leader: number;
  /** The leader's term when it decided. */
  term: number;
  /** First index newly committed. */
  from: number;
  /** Last index newly committed: the new commit index. */
  to: number;
  /** Term of each entry in `[from, to]` in the leader's log, `terms[i - from]`. */
  terms: readonly number[];
  /** Voters of the configuration the leader counted (the incoming half when joint). */
  incoming: readonly number[];
  /** Voters of the outgoing half of a joint configuration; empty otherwise. */
  outgoing: readonly number[];
}

/** A member's durable log, as it would survive a crash now; undefined for a member without storage. */
export type DurableLogOf = (id: number) => LogStorage | undefined;

/**
 * Committed entries exist on a quorum (Raft's core promise, checked where
 * it is made): when a leader commits, every newly committed entry must be
 * durably stored — as a log entry of the same term, or covered by a
 * snapshot or compaction boundary whose entry is the committed one — on a
 * majority of the voters of the configuration the leader counted, in both
 * halves when it is joint. Judging each decision by the configuration of
 * its own moment matters: an entry committed by three voters before a
 * learner was promoted is not under-replicated because the fourth lacks it.
 *
 * It also checks that nothing is committed anywhere beyond what some
 * leader decided: a member's commit index can only follow a leader's.
 */
export class CommitQuorumCheck {
  /** Term of every committed entry, as decided by leaders; the bootstrap entry every founding member starts with is committed. */
  private readonly committedTerms = new Map<number, number>([[BOOTSTRAP_INDEX, BOOTSTRAP_TERM]]);
  /** Highest index any leader decided to commit. */
  private decidedThrough = BOOTSTRAP_INDEX;
  /** The term of the first leader that committed each entry (the bootstrap entry: before any term). */
  private readonly commitTerms = new Map<number, number>([[BOOTSTRAP_INDEX, 0]]);

  /**
   * Checks one decision against the members' durable logs now. Returns a
   * description of the violation, or undefined.
   */
  check(d: CommitDecision, durableLogOf: DurableLogOf): string | undefined {
    for (let i = d.from; i <= d.to; i++) {
      const term = d.terms[i - d.from]!;
      for (const [half, voters] of [['', d.incoming], ['outgoing ', d.outgoing]] as const) {
        if (voters.length === 0) continue;
        const holders = voters.filter((id) => this.holds(durableLogOf(id), i, term, d));
        if (holders.length * 2 <= voters.length) {
          return (
            `leader ${d.leader} of term ${d.term} committed entry ${i} (term ${term}), which is durable on ` +
            `${holders.length ? holders.join(',') : 'none'} of the ${half}voters ${voters.join(',')}`
          );
        }
      }
    }
    for (let i = d.from; i <= d.to; i++) {
      this.committedTerms.set(i, d.terms[i - d.from]!);
      if (!this.commitTerms.has(i)) this.commitTerms.set(i, d.term);
    }
    this.decidedThrough = Math.max(this.decidedThrough, d.to);
    return undefined;
  }

  /** True when some leader decided to commit `index` (the bootstrap entry counts as decided). Decisions cover a prefix of the log. */
  decided(index: number): boolean {
    return index <= this.decidedThrough;
  }

  /**
   * The term in which entry `index` was first committed (the committing
   * leader's term), or undefined if no leader decided it. Leader
   * completeness is owed to leaders of later terms only.
   */
  commitTerm(index: number): number | undefined {
    return this.commitTerms.get(index);
  }

  /** Whether `log` durably holds entry `index` of `term`. */
  private holds(log: LogStorage | undefined, index: number, term: number, d: CommitDecision): boolean {
    if (!log) return false;
    const boundary = log.firstIndex() - 1;
    if (index > boundary) return index <= log.lastIndex() && log.term(index) === term;
    // Compacted, or at the snapshot boundary: only committed entries are
    // compacted, so if the boundary entry is the committed one, the log
    // held this one too (log matching).
    const boundaryTerm = log.term(boundary);
    if (index === boundary) return boundaryTerm === term;
    const expected = boundary <= d.to && boundary >= d.from ? d.terms[boundary - d.from] : this.committedTerms.get(boundary);
    return expected !== undefined && expected === boundaryTerm;
  }
}
