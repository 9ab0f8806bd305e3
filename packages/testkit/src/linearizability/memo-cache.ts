import { mix32 } from './hash.js';
import type { OperationSet, OperationSetSnapshot } from './operation-set.js';
import type { StepBudget } from './step-budget.js';

interface Configuration {
  readonly linearized: OperationSetSnapshot;
  readonly stateKey: string | number;
  readonly applied: OperationSetSnapshot;
}

/**
 * The search configurations already reached, after Lowe ("Testing for
 * linearizability", 2017): a configuration is the set of completed
 * operations linearized so far, the model state they lead to, and the set of
 * unknown-outcome operations already applied.
 *
 * The search is depth-first and stops at the first full linearization, so a
 * configuration it reached before has either failed or is an ancestor of the
 * current one; an ancestor has strictly fewer linearized operations, so a
 * repeat is always a dead end. Unknown-outcome operations are optional, so a
 * configuration that has applied a superset of the unknown operations of a
 * dead end, with the same linearized set and state, has fewer choices left
 * and is a dead end too.
 */
export class MemoCache {
  private readonly buckets = new Map<number, Configuration[]>();
  /** Small numbers for state keys, so that a bucket can be chosen by linearized set and state together. */
  private readonly stateIds = new Map<string | number, number>();

  /** @param budget - charged for long scans of configurations that share a hash. */
  constructor(private readonly budget: StepBudget) {}

  /**
   * Records the current configuration unless a recorded one covers it.
   *
   * @returns true if the configuration is new and worth exploring.
   */
  addIfUncovered(linearized: OperationSet, stateKey: string | number, applied: OperationSet): boolean {
    let stateId = this.stateIds.get(stateKey);
    if (stateId === undefined) {
      stateId = this.stateIds.size;
      this.stateIds.set(stateKey, stateId);
    }
    const hash = (linearized.hash ^ mix32(stateId)) >>> 0;
    let bucket = this.buckets.get(hash);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(hash, bucket);
    } else {
      // Many unknown-outcome operations can make one linearized set and state recur with many applied sets.
      this.budget.chargeComparisons(bucket.length);
      for (const seen of bucket) {
        if (seen.stateKey === stateKey && linearized.equals(seen.linearized) && applied.includes(seen.applied)) return false;
      }
    }
    bucket.push({ linearized: linearized.snapshot(), stateKey, applied: applied.snapshot() });
    return true;
  }
}
