import { JointConfig } from '../quorum/joint.js';
import { MajorityConfig, VoteResult } from '../quorum/majority.js';
import type { ConfState } from '../types.js';
import { sortedIds } from '../util.js';
import { Progress } from './progress.js';

/**
 * A membership configuration: voters (possibly joint) and learners.
 *
 * Invariants (thesis §4.3 and etcd's confchange): learners and voters are
 * disjoint; `learnersNext` holds voters of the outgoing half that become
 * learners when the joint configuration is left, so they are in
 * `voters.outgoing` and not in `learners`.
 */
export interface TrackerConfig {
  /** The voters: one majority configuration, or two during a joint change. */
  voters: JointConfig;
  /** Leave the joint configuration automatically once it is committed. */
  autoLeave: boolean;
  /** Members that receive the log but do not vote. */
  learners: Set<number>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  learnersNext: Set<number>;
}

/** An empty configuration. */
export function emptyTrackerConfig(): TrackerConfig {
  return { voters: new JointConfig(), autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

/** Deep copy of a configuration. */
export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: new JointConfig(new MajorityConfig(c.voters.incoming.ids), new MajorityConfig(c.voters.outgoing.ids)),
    autoLeave: c.autoLeave,
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
  };
}

/** The membership of a configuration as plain arrays. */
export function confStateOf(c: TrackerConfig): ConfState {
  return {
    voters: sortedIds(c.voters.incoming.ids),
    votersOutgoing: sortedIds(c.voters.outgoing.ids),
    learners: sortedIds(c.learners),
    learnersNext: sortedIds(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

/** Human-readable form of a configuration. */
export function describeConfig(c: TrackerConfig): string {
  let s = `voters=${c.voters}`;
  if (c.learners.size > 0) s += ` learners=(${sortedIds(c.learners).join(' ')})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sortedIds(c.learnersNext).join(' ')})`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

/**
 * Tracks the active configuration, the progress of every member (leader
 * only, but kept on all members) and the votes of the current election.
 */
export class ProgressTracker {
  /** The active configuration. */
  config: TrackerConfig = emptyTrackerConfig();
  /** Every member of `config` (voters of both halves and learners) and its progress, this member included. */
  progress = new Map<number, Progress>();
  /** Votes received in the current (pre-)election: true = granted. */
  votes = new Map<number, boolean>();

  /** An empty tracker whose new progresses get these flow-control limits. */
  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  /** The membership as plain arrays. */
  confState(): ConfState {
    return confStateOf(this.config);
  }

  /** True when the only voter is one member (its decisions need nobody else). */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  /**
   * The largest index acknowledged by a quorum of voters (learners never
   * count). This is the candidate commit index; the Figure 8 rule is applied
   * by the caller.
   */
  committed(): number {
    return this.config.voters.committedIndex((id) => this.progress.get(id)?.match);
  }

  /** Visits every member in ascending id order, so runs are deterministic. */
  visit(f: (id: number, pr: Progress) => void): void {
    for (const id of this.idsInOrder()) f(id, this.progress.get(id)!);
  }

  // The ids of `progress` sorted, cached until the map is replaced or resized
  // (configuration changes replace it; resets only replace its values).
  private sortedFor: Map<number, Progress> | undefined;
  private sortedSize = -1;
  private sorted: number[] = [];

  private idsInOrder(): number[] {
    if (this.sortedFor !== this.progress || this.sortedSize !== this.progress.size) {
      this.sorted = sortedIds(this.progress.keys());
      this.sortedFor = this.progress;
      this.sortedSize = this.progress.size;
    }
    return this.sorted;
  }

  /** True when a quorum of voters was heard from since the last check (the leader counts as heard). */
  quorumActive(): boolean {
    const votes = new Map<number, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return this.config.voters.voteResult(votes) === VoteResult.Won;
  }

  /** Voter ids in ascending order. */
  voterIds(): number[] {
    return sortedIds(this.config.voters.ids());
  }

  /** Learner ids (current and next) in ascending order. */
  learnerIds(): number[] {
    return sortedIds(new Set([...this.config.learners, ...this.config.learnersNext]));
  }

  /** Forgets the votes of the previous election. */
  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote from `id` unless one was already recorded this election. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Counts the votes: granted, rejected, and whether the election is won, lost or pending. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }

  /** A new Progress with this tracker's flow-control limits. */
  newProgress(): Progress {
    return new Progress(this.maxInflight, this.maxInflightBytes);
  }
}
