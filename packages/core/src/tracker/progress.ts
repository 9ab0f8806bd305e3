import { Inflights } from './inflights.js';

/** How the leader currently replicates to a follower. */
export enum ProgressState {
  /**
   * The leader does not know where the follower's log ends: it sends at most
   * one append per heartbeat interval and waits for the answer.
   */
  Probe = 'probe',
  /** The follower is known to match up to `match`: appends are pipelined. */
  Replicate = 'replicate',
  /** A snapshot is on its way; nothing is appended until it is acknowledged or fails. */
  Snapshot = 'snapshot',
}

/**
 * What the leader knows about one follower's log (Raft paper: nextIndex and
 * matchIndex), plus flow control. Invariant: `match < next`.
 */
export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Index of the next entry to send. */
  next = 1;
  /** How the leader replicates to the follower now. */
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /**
   * True if the follower was heard from since the last CheckQuorum. Always
   * true for the leader itself.
   */
  recentActive = false;
  /**
   * In Probe state: an append was sent and no answer came yet, so sending is
   * paused until a heartbeat response or an append response.
   */
  msgAppFlowPaused = false;
  /** Highest commit index sent to the follower. */
  sentCommit = 0;
  /** Appends in flight to this follower. */
  inflights: Inflights;
  /** The member is a learner: replicated to, but not counted in quorums. */
  isLearner = false;

  /** A probing progress from index 1, with an in-flight window of these limits. */
  constructor(maxInflight: number, maxInflightBytes: number) {
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Moves to Probe state, resuming at the entry after the last known match (or after the snapshot being sent). */
  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  /** Moves to Replicate state: optimistic, pipelined appends from match + 1. */
  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  /** Moves to Snapshot state while the snapshot at `snapshotIndex` is sent. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
    this.sentCommit = snapshotIndex;
  }

  /**
   * Records that an append with `entries` entries weighing `bytes` was sent.
   * In Replicate state `next` moves optimistically past them.
   */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next += entries;
        this.inflights.add(this.next - 1, bytes);
      }
      // Even an empty append keeps the probing follower paused until it answers.
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === ProgressState.Probe) {
      this.msgAppFlowPaused = true;
    } else {
      throw new Error(`sending append in unhandled progress state ${this.state}`);
    }
  }

  /** True if the follower may not know the leader's commit index `commit` yet. */
  canBumpCommit(commit: number): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** Records that the commit index `commit` was sent. */
  sentCommitIndex(commit: number): void {
    this.sentCommit = commit;
  }

  /**
   * Records an acknowledgement up to `n`. Returns false if it was stale (an
   * older answer arriving late).
   */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * Handles a rejection of the append anchored at `rejected`; `matchHint` is
   * where the logs may match. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // Rejections of appends the follower has already accepted are stale.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    // In Probe (or Snapshot) state only the answer to the last probe matters.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** True when the leader must not send appends to this follower right now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.msgAppFlowPaused;
      case ProgressState.Snapshot:
        return true;
    }
  }

  /** A readable summary for logs and status. */
  toString(): string {
    let s = `state=${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}`;
    return s;
  }
}
