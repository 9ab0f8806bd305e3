import type { CompletedOperation, FailedOperation, Operation, UnknownOperation } from './history.js';
import type { Partition } from './model.js';

/** An operation together with its position in the checked history. */
export interface Indexed<Op> {
  readonly index: number;
  readonly op: Op;
}

/** One partition's operations, split by status and sorted by invocation time. */
export interface PreparedPartition<Input, Output> {
  readonly key: string;
  readonly required: readonly Indexed<CompletedOperation<Input, Output>>[];
  readonly unknown: readonly Indexed<UnknownOperation<Input>>[];
  /** Kept only to show in reports: they did not take effect. */
  readonly failed: readonly Indexed<FailedOperation<Input>>[];
}

function byInvocation(a: Indexed<Operation<unknown, unknown>>, b: Indexed<Operation<unknown, unknown>>): number {
  return a.op.invoke - b.op.invoke || a.index - b.index;
}

/**
 * Splits a partition by status and orders each part by invocation, the
 * order the search and its bitsets assume.
 *
 * @param positions - where each operation object sits in the whole history.
 */
export function preparePartition<Input, Output>(
  partition: Partition<Input, Output>,
  positions: ReadonlyMap<Operation<Input, Output>, number>,
): PreparedPartition<Input, Output> {
  const required: Indexed<CompletedOperation<Input, Output>>[] = [];
  const unknown: Indexed<UnknownOperation<Input>>[] = [];
  const failed: Indexed<FailedOperation<Input>>[] = [];
  for (const op of partition.operations) {
    const index = positions.get(op);
    if (index === undefined) {
      throw new Error(`the partition for key ${JSON.stringify(partition.key)} holds an operation that is not in the history`);
    }
    switch (op.status) {
      case 'ok':
        required.push({ index, op });
        break;
      case 'unknown':
        unknown.push({ index, op });
        break;
      case 'failed':
        failed.push({ index, op });
        break;
    }
  }
  required.sort(byInvocation);
  unknown.sort(byInvocation);
  failed.sort(byInvocation);
  return { key: partition.key, required, unknown, failed };
}
