import { EntryList } from './entry-list.js';
import { MemoCache } from './memo-cache.js';
import type { Model, StepResult } from './model.js';
import { OperationSet } from './operation-set.js';
import type { StepBudget } from './step-budget.js';
import { type OptionalOperation, type UnknownChain, UnknownChains } from './unknown-chains.js';

/** An operation whose completion and output are known, as the search sees it. */
export interface RequiredOperation<Input, Output> {
  readonly invoke: number;
  readonly complete: number;
  readonly input: Input;
  readonly output: Output;
}

/** One step of a linearization: some unknown-outcome operations, then one completed operation. */
export interface Placement {
  /** Unknown-outcome operations that take effect just before `operation`, in order (indices into `unknown`). */
  readonly unknownChain: readonly number[];
  /** The completed operation placed (an index into `required`). */
  readonly operation: number;
}

/**
 * What the search concluded about one partition. For a violation, `longest`
 * is the deepest path the search reached, in linearization order.
 */
export type SearchOutcome =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'not-linearizable'; readonly longest: readonly Placement[] }
  | { readonly kind: 'undecided' };

/**
 * One placement on the current path, and what to restore when backtracking
 * over it. Frames are immutable and point to their parent, so remembering
 * the deepest path so far costs one reference, not a copy.
 */
interface Frame<State> {
  readonly parent: Frame<State> | undefined;
  readonly depth: number;
  /** The invocation node of the placed operation. */
  readonly node: number;
  /** The state before the placement. */
  readonly state: State;
  /** The unknown chains of the configuration the placement was made from. */
  readonly chains: readonly UnknownChain<State>[] | undefined;
  /** Which of them preceded the placed operation; -1 for none. */
  readonly chainIndex: number;
  /** Placed as the only option worth trying (a read-only operation that fit), so no alternative needs trying either. */
  readonly forced: boolean;
}

/**
 * What the search does next in the current configuration: place read-only
 * operations that fit, try the other candidates (plain, then after each
 * unknown chain), or give up on it and backtrack.
 */
type Phase = 'observers' | 'candidates' | 'backtrack';

const NO_CHAIN: readonly number[] = [];

function chainOf<State>(chains: readonly UnknownChain<State>[] | undefined, chainIndex: number): readonly number[] {
  return chainIndex < 0 ? NO_CHAIN : chains![chainIndex]!.chain;
}

function placementsOf<State>(top: Frame<State> | undefined, list: EntryList): Placement[] {
  const placements: Placement[] = [];
  for (let frame = top; frame; frame = frame.parent) {
    placements.push({ unknownChain: chainOf(frame.chains, frame.chainIndex), operation: list.operation(frame.node) });
  }
  return placements.reverse();
}

/**
 * Searches for a linearization of one partition: Wing and Gong's
 * backtracking search with Lowe's memoization of configurations, in the
 * shape of Porcupine's `checkSingle`.
 *
 * In each configuration it first places any read-only operation that fits
 * (see {@link Model.isReadOnly}), then tries the operations that may go
 * next in invocation order, first in the current state, then after each
 * chain of unknown-outcome operations (see {@link UnknownChains}). It
 * succeeds once every completed operation is placed: unknown operations
 * left over simply never took effect.
 *
 * @param required - operations with known outcomes, sorted by invocation time.
 * @param unknown - operations with unknown outcomes, sorted by invocation time.
 */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  required: readonly RequiredOperation<Input, Output>[],
  unknown: readonly OptionalOperation<Input>[],
  budget: StepBudget,
): SearchOutcome {
  const list = new EntryList(required);
  const linearized = new OperationSet(required.length);
  const applied = new OperationSet(unknown.length);
  const cache = new MemoCache(budget);
  const unknownChains = new UnknownChains(model, unknown, budget);
  const readOnly = required.map((op) => model.isReadOnly?.(op.input, op.output) ?? false);
  let top: Frame<State> | undefined;
  let state = model.init();
  // The current configuration's unknown chains, computed only once no operation fits without one.
  let chains: readonly UnknownChain<State>[] | undefined;
  let chainIndex = -1;
  let node = list.first();
  let phase: Phase = 'observers';
  let deepest = top;

  const place = (index: number, result: StepResult<State>, chain: readonly number[], forced: boolean): boolean => {
    linearized.add(index);
    for (const u of chain) applied.add(u);
    if (cache.addIfUncovered(linearized, model.stateKey(result.state), applied)) {
      top = { parent: top, depth: (top?.depth ?? 0) + 1, node, state, chains, chainIndex, forced };
      list.lift(node);
      state = result.state;
      chains = undefined;
      chainIndex = -1;
      node = list.first();
      phase = 'observers';
      return true;
    }
    linearized.delete(index);
    for (const u of chain) applied.delete(u);
    return false;
  };

  while ((top?.depth ?? 0) < required.length) {
    if (!budget.spend()) return { kind: 'undecided' };

    if (phase === 'observers') {
      // A read-only operation that fits can be placed first in any linearization from here
      // (moving it earlier changes no state), so place it without trying alternatives:
      // if nothing works after it, nothing works here at all.
      if (!list.isInvocation(node)) {
        phase = 'candidates';
        node = list.first();
        continue;
      }
      const index = list.operation(node);
      if (readOnly[index]) {
        const op = required[index]!;
        const result = model.step(state, op.input, op.output);
        if (result.ok) {
          // A configuration after it that is already known to fail dooms this one too.
          if (!place(index, result, NO_CHAIN, true)) phase = 'backtrack';
          continue;
        }
      }
      node = list.after(node);
      continue;
    }

    if (phase === 'candidates') {
      if (list.isInvocation(node)) {
        const index = list.operation(node);
        // Read-only operations that fit the current state were placed as observers already.
        if (chainIndex >= 0 || !readOnly[index]) {
          const op = required[index]!;
          const result = model.step(chainIndex < 0 ? state : chains![chainIndex]!.state, op.input, op.output);
          if (result.ok && place(index, result, chainOf(chains, chainIndex), false)) continue;
        }
        node = list.after(node);
        continue;
      }
      // `node` is the earliest pending completion: no candidate fits as things
      // stand, so try again after each unknown chain, then backtrack.
      if (chains === undefined) {
        chains = unknownChains.from(state, applied, list.time(node));
        if (chains === undefined) return { kind: 'undecided' };
      }
      if (++chainIndex < chains.length) {
        node = list.first();
        continue;
      }
      phase = 'backtrack';
    }

    if (top === undefined) return { kind: 'not-linearizable', longest: placementsOf(deepest, list) };
    if (top.depth > (deepest?.depth ?? 0)) deepest = top;
    const frame: Frame<State> = top;
    top = frame.parent;
    list.unlift(frame.node);
    linearized.delete(list.operation(frame.node));
    for (const u of chainOf(frame.chains, frame.chainIndex)) applied.delete(u);
    state = frame.state;
    chains = frame.chains;
    chainIndex = frame.chainIndex;
    node = list.after(frame.node);
    // Below a forced placement there was nothing else to try.
    phase = frame.forced ? 'backtrack' : 'candidates';
  }
  return { kind: 'linearizable' };
}
