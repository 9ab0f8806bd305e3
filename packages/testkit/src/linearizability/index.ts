/**
 * The linearizability checker: Wing and Gong's search with Lowe's
 * memoization, over a pluggable sequential model, with per-key partitioning
 * and operations of unknown outcome.
 */
export { checkLinearizability, type CheckOptions } from './check.js';
export {
  type ClientId,
  type OperationBase,
  type CompletedOperation,
  type FailedOperation,
  type UnknownOperation,
  type Operation,
  type OperationStatus,
  InvalidHistoryError,
  validateHistory,
} from './history.js';
export { type Model, type StepResult, type Partition, WHOLE_HISTORY_KEY } from './model.js';
export { kvModel, type KvInput, type KvOutput, type KvState } from './kv-model.js';
export type { CheckResult, Linearizable, NotLinearizable, CheckTimeout, ReportedOperation } from './result.js';
export { renderTimeline, type TimelineRow } from './timeline.js';
