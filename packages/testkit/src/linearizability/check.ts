import { type Operation, validateHistory } from './history.js';
import { type Model, type Partition, WHOLE_HISTORY_KEY } from './model.js';
import { preparePartition } from './prepared-partition.js';
import { reportViolation } from './report.js';
import type { CheckResult } from './result.js';
import { searchLinearization } from './search.js';
import { StepBudget } from './step-budget.js';

/** The default step budget of a partition is this many steps per operation... */
const DEFAULT_STEPS_PER_OPERATION = 500;
/** ...but never less than this, so that short but tangled partitions get a fair chance. */
const DEFAULT_MIN_STEPS_PER_KEY = 1_000_000;

/** Limits on {@link checkLinearizability}. */
export interface CheckOptions {
  /**
   * Search steps allowed per partition before it counts as undecided. A
   * step is one attempt to place an operation, one backtrack, or one model
   * step while exploring unknown outcomes. Unlike `timeoutMs` it makes the
   * outcome deterministic: a seed that times out always does.
   *
   * Default: 500 per operation of the partition, and at least 1,000,000.
   * Linearizable histories with moderate concurrency need about 10 per
   * operation, up to a few hundred when many outcomes are unknown; a
   * million steps take a few hundred milliseconds.
   */
  readonly maxStepsPerKey?: number;
  /** Wall-clock limit for the whole check, in milliseconds. Default: none. */
  readonly timeoutMs?: number;
}

function positionsOf<Input, Output>(history: readonly Operation<Input, Output>[]): Map<Operation<Input, Output>, number> {
  const positions = new Map<Operation<Input, Output>, number>();
  history.forEach((op, index) => {
    if (!positions.has(op)) positions.set(op, index);
  });
  return positions;
}

/**
 * Decides whether a client history is linearizable with respect to a
 * sequential model: whether every operation can be given a single instant
 * between its invocation and its completion such that, taken in that order,
 * the operations produce the recorded outputs.
 *
 * Operations with status `failed` are left out. Operations with status
 * `unknown` may take effect at any instant after their invocation, or never;
 * their outputs are not checked. The history is split with the model's
 * `partition` and each part is searched on its own; the check stops at the
 * first part that is not linearizable.
 *
 * @example
 * ```ts
 * const result = checkLinearizability(kvModel, history, { timeoutMs: 10_000 });
 * // A timeout is not a pass: both failures explain themselves.
 * if (!result.ok) throw new Error(result.explanation);
 * ```
 *
 * @throws {@link InvalidHistoryError} for a malformed history (for example
 * an operation that completes before it is invoked).
 */
export function checkLinearizability<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  validateHistory(history);
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.timeoutMs;
  const positions = positionsOf(history);
  const partitions: Partition<Input, Output>[] = model.partition?.(history) ?? [{ key: WHOLE_HISTORY_KEY, operations: history }];

  let steps = 0;
  const undecidedKeys: string[] = [];
  for (const partition of partitions) {
    const prepared = preparePartition(partition, positions);
    const maxSteps = options.maxStepsPerKey ?? Math.max(DEFAULT_MIN_STEPS_PER_KEY, DEFAULT_STEPS_PER_OPERATION * partition.operations.length);
    const budget = new StepBudget(maxSteps, deadline);
    const required = prepared.required.map((entry) => entry.op);
    const unknown = prepared.unknown.map((entry) => entry.op);
    const partitionModel = model.specialize?.(partition.operations) ?? model;
    const outcome = searchLinearization(partitionModel, required, unknown, budget);
    steps += budget.used;
    if (outcome.kind === 'not-linearizable') return reportViolation(partitionModel, prepared, outcome.longest, steps);
    if (outcome.kind === 'undecided') undecidedKeys.push(partition.key);
  }

  if (undecidedKeys.length === 0) return { ok: true, outcome: 'linearizable', steps };
  const stepLimit =
    options.maxStepsPerKey === undefined
      ? `the default step budget (${DEFAULT_STEPS_PER_OPERATION} per operation, at least ${DEFAULT_MIN_STEPS_PER_KEY} per key)`
      : `${options.maxStepsPerKey} search steps per key`;
  const limits = [stepLimit, ...(options.timeoutMs === undefined ? [] : [`${options.timeoutMs} ms in all`])];
  const explanation =
    `Could not decide ${undecidedKeys.length} of ${partitions.length} keys within ${limits.join(' and ')}: ` +
    `${undecidedKeys.map((key) => JSON.stringify(key)).join(', ')}. No violation was found in the others.`;
  return { ok: false, outcome: 'timeout', undecidedKeys, explanation, steps };
}
