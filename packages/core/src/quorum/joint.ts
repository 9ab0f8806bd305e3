import { type AckedIndexer, MajorityConfig, VoteResult } from './majority.js';

/**
 * Two majority configurations that must both agree: the incoming (new) and
 * the outgoing (old) voters during a joint-consensus change (Raft thesis
 * §4.3). When not in a joint change, the outgoing half is empty.
 */
export class JointConfig {
  /** Both halves; with the outgoing half empty (the default) this is a plain majority configuration. */
  constructor(
    readonly incoming: MajorityConfig = new MajorityConfig(),
    readonly outgoing: MajorityConfig = new MajorityConfig(),
  ) {}

  /** True while a joint configuration is in effect. */
  get isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** Every voter in either half. */
  ids(): Set<number> {
    return new Set([...this.incoming.ids, ...this.outgoing.ids]);
  }

  /** True when `id` votes in either half. */
  has(id: number): boolean {
    return this.incoming.ids.has(id) || this.outgoing.ids.has(id);
  }

  /** The largest index acknowledged by a quorum in both halves. */
  committedIndex(acked: AckedIndexer): number {
    return Math.min(this.incoming.committedIndex(acked), this.outgoing.committedIndex(acked));
  }

  /** Won only when both halves won; lost when either lost. */
  voteResult(votes: ReadonlyMap<number, boolean>): VoteResult {
    const r1 = this.incoming.voteResult(votes);
    const r2 = this.outgoing.voteResult(votes);
    if (r1 === r2) return r1;
    if (r1 === VoteResult.Lost || r2 === VoteResult.Lost) return VoteResult.Lost;
    return VoteResult.Pending;
  }

  /** Human-readable form, e.g. `(1 2 3)&&(1 2)`. */
  toString(): string {
    return this.isJoint ? `${this.incoming}&&${this.outgoing}` : this.incoming.toString();
  }
}
