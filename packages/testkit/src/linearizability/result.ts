import type { Operation } from './history.js';

/** An operation as a report shows it. */
export interface ReportedOperation<Input, Output> {
  /** Its position in the history given to the checker. */
  readonly index: number;
  /** The operation itself, unchanged. */
  readonly operation: Operation<Input, Output>;
  /** The model's description of it. */
  readonly description: string;
}

/** Every partition of the history has a linearization. */
export interface Linearizable {
  /** True only for this outcome: the history passed. */
  readonly ok: true;
  /** Discriminant of the verdict. */
  readonly outcome: 'linearizable';
  /** Search steps taken over all partitions; a measure of how hard the history was. */
  readonly steps: number;
}

/**
 * One partition has no linearization. The checker stops at the first such
 * partition, in the order the model's `partition` returned them.
 *
 * The report describes the deepest point the search reached: the longest
 * prefix of a linearization it found, and the operations that could have
 * come next, none of which leads to a full linearization.
 */
export interface NotLinearizable<Input, Output> {
  /** False: the history failed. */
  readonly ok: false;
  /** Discriminant of the verdict. */
  readonly outcome: 'not-linearizable';
  /** The partition (for the key-value model, the key) that is not linearizable. */
  readonly key: string;
  /**
   * The longest prefix of a linearization found, in linearization order.
   * It includes the unknown-outcome operations the search chose to let take
   * effect, just before the operations that observed them.
   */
  readonly longestPrefix: readonly ReportedOperation<Input, Output>[];
  /** The model state after the prefix, as the model describes it. */
  readonly stateAfterPrefix: string;
  /**
   * The completed operation outside the prefix that completed first. Some
   * operation had to take effect next, before this one completed, and none
   * could.
   */
  readonly blocking: ReportedOperation<Input, Output>;
  /**
   * The operations that could have come next after the prefix (invoked no
   * later than `blocking` completed), by invocation time. None of them
   * leads to a linearization.
   */
  readonly unplaced: readonly ReportedOperation<Input, Output>[];
  /** A readable account of the above, with a timeline of the operations around the failure. */
  readonly explanation: string;
  /** Search steps taken over all partitions checked. */
  readonly steps: number;
}

/**
 * The search ran out of steps or time before it could decide some
 * partitions, and found no violation in the others. This is not a pass:
 * `ok` is false, so a caller that only looks at `ok` stays safe.
 */
export interface CheckTimeout {
  /** False: an undecided history is not a pass. */
  readonly ok: false;
  /** Discriminant of the verdict. */
  readonly outcome: 'timeout';
  /** The partitions whose search was cut short or never started. */
  readonly undecidedKeys: readonly string[];
  /** Which keys were undecided and which limit stopped the search. */
  readonly explanation: string;
  /** Search steps taken over all partitions. */
  readonly steps: number;
}

/** The verdict on a history: linearizable, not linearizable (with a report), or undecided. */
export type CheckResult<Input, Output> = Linearizable | NotLinearizable<Input, Output> | CheckTimeout;
