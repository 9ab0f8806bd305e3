/**
 * Pure quorum arithmetic that knows nothing about Raft beyond "a majority of
 * a set of voters". Mirrors etcd's quorum package.
 */

/** The outcome of counting votes. */
export enum VoteResult {
  /** Not enough votes either way yet. */
  Pending = 'pending',
  /** The election (or check) cannot succeed any more. */
  Lost = 'lost',
  /** A quorum granted. */
  Won = 'won',
}

/** Looks up the acknowledged (matched) index of a voter; undefined when unknown. */
export type AckedIndexer = (id: number) => number | undefined;

/** A set of voters that decides by simple majority. */
export class MajorityConfig {
  /** The voters; a majority of them (more than half) decides. */
  readonly ids: ReadonlySet<number>;

  /** A configuration of the given voters (duplicates count once). */
  constructor(ids: Iterable<number> = []) {
    this.ids = new Set(ids);
  }

  /** The number of voters. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The largest index that a majority has acknowledged. An empty
   * configuration returns +Infinity so that a joint configuration whose
   * outgoing half is empty defers to the incoming half.
   */
  committedIndex(acked: AckedIndexer): number {
    const n = this.ids.size;
    if (n === 0) return Number.POSITIVE_INFINITY;
    const values: number[] = [];
    for (const id of this.ids) values.push(acked(id) ?? 0);
    values.sort((a, b) => a - b);
    // With n voters, a majority of n/2+1 has acknowledged the value at
    // position n - (n/2 + 1) of the ascending order.
    return values[n - (Math.floor(n / 2) + 1)]!;
  }

  /**
   * Counts votes (true = granted, false = rejected, absent = not yet). An
   * empty configuration wins, by convention, so joint configurations work.
   */
  voteResult(votes: ReadonlyMap<number, boolean>): VoteResult {
    if (this.ids.size === 0) return VoteResult.Won;
    let granted = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) granted++;
    }
    const q = Math.floor(this.ids.size / 2) + 1;
    if (granted >= q) return VoteResult.Won;
    if (granted + missing >= q) return VoteResult.Pending;
    return VoteResult.Lost;
  }

  /** Human-readable form, e.g. `(1 2 3)`. */
  toString(): string {
    return `(${[...this.ids].sort((a, b) => a - b).join(' ')})`;
  }
}
