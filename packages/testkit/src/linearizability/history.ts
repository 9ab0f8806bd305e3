/**
 * The recorded client history that the linearizability checker judges: one
 * entry per client request, with its virtual-time interval and what the
 * client learned about its outcome.
 *
 * Real-time order is strict: `a` precedes `b` exactly when
 * `a.complete < b.invoke`. Two operations where one completes at the very
 * instant the other is invoked are concurrent, so either order is allowed.
 * A simulator that delivers a response and issues the next request in the
 * same tick cannot tell which happened first, and the checker must not
 * pretend it can.
 */

/** Identifies the client that issued an operation; only used in reports. */
export type ClientId = string | number;

/** The fields every recorded operation has, whatever its outcome. */
export interface OperationBase<Input> {
  /** The client that issued the request. */
  readonly client: ClientId;
  /** Virtual time at which the client sent the request. */
  readonly invoke: number;
  /** What was asked, in the vocabulary of the {@link Model}. */
  readonly input: Input;
}

/** The operation took effect and its client saw the result. */
export interface CompletedOperation<Input, Output> extends OperationBase<Input> {
  /** Discriminant: the client received a response. */
  readonly status: 'ok';
  /** Virtual time at which the client received the response; `>= invoke`. */
  readonly complete: number;
  /** What the client was told. */
  readonly output: Output;
}

/**
 * The operation definitely did not take effect (for example, a proposal the
 * leader dropped). The checker ignores it, except to show it in reports.
 */
export interface FailedOperation<Input> extends OperationBase<Input> {
  /** Discriminant: the operation is known not to have taken effect. */
  readonly status: 'failed';
  /** When the client learned of the failure, if it did; only shown in reports. */
  readonly complete?: number;
}

/**
 * The client never learned the outcome (a timeout, a lost connection, a
 * crashed server). The operation may have taken effect at any point after
 * its invocation, even long after the client gave up, or never. The checker
 * treats it as completing at +infinity with an output it does not check.
 */
export interface UnknownOperation<Input> extends OperationBase<Input> {
  /** Discriminant: the client never learned the outcome. */
  readonly status: 'unknown';
  /** When the client gave up, if it did; only shown in reports. */
  readonly complete?: number;
}

/** One recorded client request. */
export type Operation<Input, Output> = CompletedOperation<Input, Output> | FailedOperation<Input> | UnknownOperation<Input>;

/** How an operation ended, from the client's point of view. */
export type OperationStatus = Operation<unknown, unknown>['status'];

/**
 * Thrown for a history that cannot have been recorded from a real run, such
 * as an operation that completes before it is invoked. It is a bug in the
 * recorder, not a linearizability violation, so it is not reported as one.
 */
export class InvalidHistoryError extends Error {
  /** Position of the offending operation in the history. */
  readonly index: number;

  constructor(index: number, problem: string) {
    super(`invalid history: operation ${index} ${problem}`);
    this.name = 'InvalidHistoryError';
    this.index = index;
  }
}

const statuses: ReadonlySet<string> = new Set<OperationStatus>(['ok', 'failed', 'unknown']);

/**
 * Checks the shape of every operation: known status, finite times, and a
 * completion no earlier than the invocation.
 *
 * @throws {@link InvalidHistoryError} naming the first bad operation.
 */
export function validateHistory(history: readonly Operation<unknown, unknown>[]): void {
  history.forEach((op, index) => {
    if (!statuses.has(op.status)) throw new InvalidHistoryError(index, `has unknown status ${JSON.stringify(op.status)}`);
    if (!Number.isFinite(op.invoke)) throw new InvalidHistoryError(index, `has a non-finite invocation time (${op.invoke})`);
    if (op.status === 'ok' && op.output === undefined) throw new InvalidHistoryError(index, 'is ok but records no output (use null for "nothing")');
    const complete = op.complete;
    if (complete === undefined) {
      if (op.status === 'ok') throw new InvalidHistoryError(index, 'is ok but has no completion time');
      return;
    }
    if (!Number.isFinite(complete)) throw new InvalidHistoryError(index, `has a non-finite completion time (${complete})`);
    if (complete < op.invoke) {
      throw new InvalidHistoryError(index, `completes at ${complete}, before its invocation at ${op.invoke}`);
    }
  });
}
