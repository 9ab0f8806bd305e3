import type { Operation } from './history.js';
import { type Model, WHOLE_HISTORY_KEY, describeOperationWith, describeStateWith } from './model.js';
import type { Indexed, PreparedPartition } from './prepared-partition.js';
import type { NotLinearizable, ReportedOperation } from './result.js';
import type { Placement } from './search.js';
import { type TimelineRow, renderTimeline } from './timeline.js';

/** How many operations of the prefix the explanation lists; the report field has them all. */
const PREFIX_LINES = 8;
/** How many placed operations lead into the timeline, for context. */
const TIMELINE_CONTEXT = 4;
/** Old unknown-outcome operations can pile up; the explanation lists only the latest... */
const UNKNOWN_CANDIDATE_LINES = 6;
/** ...and the timeline fewer still, so that they do not crowd out the completed operations. */
const UNKNOWN_TIMELINE_ROWS = 3;

function reported<State, Input, Output>(
  model: Model<State, Input, Output>,
  { index, op }: Indexed<Operation<Input, Output>>,
): ReportedOperation<Input, Output> {
  const output = op.status === 'ok' ? op.output : undefined;
  return { index, operation: op, description: describeOperationWith(model, op.input, output) };
}

function interval(op: Operation<unknown, unknown>): string {
  if (op.status === 'unknown') return `[${op.invoke}, ?) outcome unknown`;
  const end = `[${op.invoke}, ${op.complete ?? '?'}]`;
  return op.status === 'failed' ? `${end} failed` : end;
}

function line(entry: ReportedOperation<unknown, unknown>): string {
  return `#${entry.index} ${String(entry.operation.client)}: ${entry.description}  ${interval(entry.operation)}`;
}

function overlaps(op: Operation<unknown, unknown>, from: number, to: number): boolean {
  return op.invoke <= to && (op.complete ?? Number.POSITIVE_INFINITY) >= from;
}

function timelineRow(entry: ReportedOperation<unknown, unknown>): TimelineRow {
  const op = entry.operation;
  return {
    lane: String(op.client),
    invoke: op.invoke,
    complete: op.complete,
    status: op.status,
    label: `#${entry.index} ${entry.description}  ${interval(op)}`,
  };
}

/**
 * Turns the deepest point of a failed search into a report: the prefix it
 * placed, the operation whose completion it could not get past, the
 * candidates that could have come next, and a timeline of the operations
 * around the failure (including failed ones, which often explain a read of a
 * value that was never durably written).
 */
export function reportViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  partition: PreparedPartition<Input, Output>,
  longest: readonly Placement[],
  steps: number,
): NotLinearizable<Input, Output> {
  const placedRequired = new Set<number>();
  const placedUnknown = new Set<number>();
  const longestPrefix: ReportedOperation<Input, Output>[] = [];
  // Replayed rather than taken from the search, which may have reused a
  // state that is merely equivalent; the report should show the real one.
  let state = model.init();
  const place = (entry: Indexed<Operation<Input, Output>>): void => {
    longestPrefix.push(reported(model, entry));
    state = model.step(state, entry.op.input, entry.op.status === 'ok' ? entry.op.output : undefined).state;
  };
  for (const placement of longest) {
    for (const u of placement.unknownChain) {
      placedUnknown.add(u);
      place(partition.unknown[u]!);
    }
    placedRequired.add(placement.operation);
    place(partition.required[placement.operation]!);
  }

  const pendingRequired = partition.required.filter((_, i) => !placedRequired.has(i));
  const blocker = pendingRequired.reduce((first, next) => (next.op.complete < first.op.complete ? next : first));
  const deadline = blocker.op.complete;
  const candidateRequired = pendingRequired.filter((entry) => entry.op.invoke <= deadline);
  const candidateUnknown = partition.unknown.filter((entry, i) => !placedUnknown.has(i) && entry.op.invoke <= deadline);
  const unplaced = [...candidateRequired, ...candidateUnknown]
    .sort((a, b) => a.op.invoke - b.op.invoke || a.index - b.index)
    .map((entry) => reported(model, entry));

  const stateAfterPrefix = describeStateWith(model, state);
  const blocking = reported(model, blocker);
  const lines = [
    partition.key === WHOLE_HISTORY_KEY ? 'The history is not linearizable.' : `Key ${JSON.stringify(partition.key)} is not linearizable.`,
    '',
    ...describePrefix(longestPrefix, partition.required.length, placedRequired.size, stateAfterPrefix),
    '',
    `Nothing can come next. One of these had to take effect before #${blocking.index} completed at ${deadline}, and none leads to a linearization:`,
    ...describeCandidates(model, state, candidateRequired, candidateUnknown),
    '',
    'Operations around the failure:',
    ...renderTimeline(aroundFailure(model, partition, longestPrefix, unplaced, deadline).map(timelineRow)).map((row) => `  ${row}`),
  ];
  return {
    ok: false,
    outcome: 'not-linearizable',
    key: partition.key,
    longestPrefix,
    stateAfterPrefix,
    blocking,
    unplaced,
    explanation: lines.join('\n'),
    steps,
  };
}

function describePrefix(
  prefix: readonly ReportedOperation<unknown, unknown>[],
  requiredCount: number,
  placedCount: number,
  state: string,
): string[] {
  const heading = `Longest linearizable prefix found: ${placedCount} of ${requiredCount} completed operations placed.`;
  if (prefix.length === 0) return [heading, `State before any operation: ${state}`];
  const skipped = Math.max(0, prefix.length - PREFIX_LINES);
  return [
    heading,
    ...(skipped > 0 ? [`  (${skipped} earlier operations)`] : []),
    ...prefix.slice(skipped).map((entry) => `  ${line(entry)}`),
    `State after the prefix: ${state}`,
  ];
}

function describeCandidates<State, Input, Output>(
  model: Model<State, Input, Output>,
  state: State,
  required: readonly Indexed<Operation<Input, Output>>[],
  unknown: readonly Indexed<Operation<Input, Output>>[],
): string[] {
  const shownUnknown = unknown.slice(-UNKNOWN_CANDIDATE_LINES);
  const lines = [...required, ...shownUnknown].map((entry) => {
    const op = entry.op;
    const output = op.status === 'ok' ? op.output : undefined;
    const fits = model.step(state, op.input, output).ok;
    const verdict = !fits
      ? `impossible in state ${describeStateWith(model, state)}`
      : op.status === 'ok'
        ? 'possible here, but every continuation fails'
        : 'could take effect here, but that does not help';
    return `  ${line(reported(model, entry))}  -- ${verdict}`;
  });
  const hidden = unknown.length - shownUnknown.length;
  if (hidden > 0) lines.push(`  (and ${hidden} older unknown-outcome operations that do not help either)`);
  return lines;
}

/**
 * The last few placed operations, the candidates, and any failed operation
 * that overlaps them, in invocation order.
 */
function aroundFailure<State, Input, Output>(
  model: Model<State, Input, Output>,
  partition: PreparedPartition<Input, Output>,
  prefix: readonly ReportedOperation<Input, Output>[],
  unplaced: readonly ReportedOperation<Input, Output>[],
  deadline: number,
): ReportedOperation<Input, Output>[] {
  const required = unplaced.filter((entry) => entry.operation.status === 'ok');
  const unknown = unplaced.filter((entry) => entry.operation.status === 'unknown').slice(-UNKNOWN_TIMELINE_ROWS);
  const context = prefix.slice(-TIMELINE_CONTEXT);
  const shown = [...context, ...required, ...unknown];
  const from = Math.min(...shown.map((entry) => entry.operation.invoke));
  const failed = partition.failed.filter((entry) => overlaps(entry.op, from, deadline)).map((entry) => reported(model, entry));
  return [...shown, ...failed].sort((a, b) => a.operation.invoke - b.operation.invoke || a.index - b.index);
}
