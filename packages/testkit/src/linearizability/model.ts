import type { Operation } from './history.js';

/** The result of applying one operation to a sequential model. */
export interface StepResult<State> {
  /** Whether the sequential object could have produced the recorded output from this state. */
  readonly ok: boolean;
  /** The state after the operation; ignored when `ok` is false. */
  readonly state: State;
}

/** The name of the single partition of a model that does not partition. */
export const WHOLE_HISTORY_KEY = '*';

/** The operations that touch one independent part of the state, such as one key. */
export interface Partition<Input, Output> {
  /** A name for the part, used in reports. */
  readonly key: string;
  /** The operations of the history that belong to it, each object taken from the history unchanged. */
  readonly operations: readonly Operation<Input, Output>[];
}

/**
 * The sequential specification that a concurrent history is checked
 * against, in the shape of Porcupine's `Model`.
 *
 * States are values: `step` must not mutate the state it is given, because
 * the search keeps old states to backtrack to.
 *
 * @example A single counter whose operations either add or read.
 * ```ts
 * type CounterInput = { op: 'add'; by: number } | { op: 'get' };
 * const counter: Model<number, CounterInput, number | null> = {
 *   init: () => 0,
 *   step(state, input, output) {
 *     if (input.op === 'add') return { ok: true, state: state + input.by };
 *     // An unknown output (undefined) is accepted: nobody saw it.
 *     return { ok: output === undefined || output === state, state };
 *   },
 *   stateKey: (state) => state,
 * };
 * const result = checkLinearizability(counter, [
 *   { client: 1, invoke: 0, complete: 2, status: 'ok', input: { op: 'add', by: 5 }, output: null },
 *   { client: 2, invoke: 1, complete: 3, status: 'ok', input: { op: 'get' }, output: 5 },
 * ]);
 * result.ok; // true
 * ```
 */
export interface Model<State, Input, Output> {
  /** The state before any operation. */
  init(): State;

  /**
   * Applies one operation. `output` is what the client saw, or `undefined`
   * when the outcome is unknown; then the model must accept the operation
   * (unless it cannot happen in this state at all) and return the state as
   * if it had taken effect. For that reason `Output` should not itself
   * include `undefined`: use `null` for "no result".
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;

  /**
   * A key that is equal (`===`) for two states exactly when they are equal
   * (in a model returned by `specialize`: when no operation of the partition
   * can tell them apart). The search memoizes on it, so a collision makes
   * the checker unsound and a missed equality makes it slow.
   */
  stateKey(state: State): string | number;

  /**
   * Splits the history into parts whose operations never affect each other
   * (for a key-value store, one part per key). Each part is checked on its
   * own, which is what makes long histories tractable: linearizability is
   * compositional (Herlihy and Wing, 1990). Without it the whole history is
   * one part, named {@link WHOLE_HISTORY_KEY}.
   */
  partition?(history: readonly Operation<Input, Output>[]): Partition<Input, Output>[];

  /**
   * Optional: whether an operation with this output never changes the state
   * when the model accepts it (a read, a compare-and-set that failed). The
   * search places such an operation as soon as it fits, without trying
   * alternatives first: moving it earlier in any linearization changes
   * nothing. Without it, no operation is taken to be read-only.
   */
  isReadOnly?(input: Input, output: Output): boolean;

  /**
   * Optional: a key under which operations of unknown outcome are
   * interchangeable. Two operations with equal keys must have the same
   * effect: applied to states with equal `stateKey`s, both are accepted or
   * both rejected, and they lead to states with equal `stateKey`s. The
   * search then tries only one operation of each key at each point instead
   * of every one, which matters when many outcomes are unknown. Without it,
   * no two operations are interchangeable.
   */
  effectKey?(input: Input): string | number;

  /**
   * Optional: a model to check one partition's operations with, which may
   * use what those operations can observe to make `stateKey` and
   * `effectKey` coarser. States that no operation of the partition can tell
   * apart may share a key (for a register, values that no read returns and
   * no compare-and-set expects), which lets the search treat them as one.
   * The result must describe and step exactly like this model.
   */
  specialize?(operations: readonly Operation<Input, Output>[]): Model<State, Input, Output>;

  /** A short human-readable form of an operation for reports; `output` is undefined when not known. */
  describeOperation?(input: Input, output: Output | undefined): string;

  /** A short human-readable form of a state for reports. */
  describeState?(state: State): string;
}

/** Renders a value for a report without ever throwing (cycles, bigints). */
function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The model's own description of an operation, or a JSON rendering of it. */
export function describeOperationWith<State, Input, Output>(
  model: Model<State, Input, Output>,
  input: Input,
  output: Output | undefined,
): string {
  if (model.describeOperation) return model.describeOperation(input, output);
  return output === undefined ? show(input) : `${show(input)} -> ${show(output)}`;
}

/** The model's own description of a state, or a JSON rendering of it. */
export function describeStateWith<State, Input, Output>(model: Model<State, Input, Output>, state: State): string {
  return model.describeState ? model.describeState(state) : show(state);
}
