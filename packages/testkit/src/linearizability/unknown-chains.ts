import type { Model } from './model.js';
import type { OperationSet, OperationSetSnapshot } from './operation-set.js';
import type { StepBudget } from './step-budget.js';

/** An operation whose outcome is unknown, as the search sees it: no deadline, no output. */
export interface OptionalOperation<Input> {
  readonly invoke: number;
  readonly input: Input;
}

/** A state reached by applying some unknown-outcome operations in a row. */
export interface UnknownChain<State> {
  /** The state after the chain. */
  readonly state: State;
  /** The operations applied, as indices into the partition's unknown operations, in order. */
  readonly chain: readonly number[];
}

const NO_OPERATIONS: readonly number[] = [];
const NO_CHAINS: readonly UnknownChain<never>[] = [];

/** A class of interchangeable operations with an available member. */
interface AvailableClass {
  /** All members, in invocation order. */
  readonly members: readonly number[];
  /** The position of the first member not yet applied. */
  readonly first: number;
}

/** A state the breadth-first search reached, with its key. */
interface Reached<State> extends UnknownChain<State> {
  readonly key: string | number;
}

/** What applying one class of unknown operation to a state with some key does. */
interface Transition {
  readonly ok: boolean;
  readonly key: string | number;
}

/**
 * Every state that applying a chain of available unknown-outcome operations
 * to a given state can reach, each with the smallest chains that reach it.
 *
 * Unknown operations have no deadline and an unchecked output, so one can
 * always be delayed until just before the next completed operation, or
 * forever: the search applies chains only right before placing a completed
 * operation, and only when it cannot place one otherwise, instead of trying
 * every unknown operation at every point. A
 * chain that reaches a state some subset of it already reaches is left out:
 * the subset does the same and leaves more options for later. Chains grow
 * one operation per round (breadth first), so subsets are always found first.
 *
 * An operation is available when it is not yet applied and was invoked no
 * later than the deadline, the earliest completion still to be linearized.
 *
 * Operations with equal {@link Model.effectKey}s are interchangeable once
 * both are available, so of each such class only the earliest-invoked
 * unapplied member is ever tried: any linearization that uses a later one
 * can swap the two. This keeps dead ends from being re-explored once per
 * member, which is what makes many unknown outcomes affordable.
 *
 * Dead ends of the search ask for the same chains over and over (few
 * distinct states, the same operations available), so results are memoized.
 */
export class UnknownChains<State, Input, Output> {
  /** Members of each class of interchangeable operations, in invocation order. */
  private readonly classes: number[][] = [];
  /** The class of each unknown operation. */
  private readonly classOf: Int32Array;
  /** Chains already computed, by the key of the state they start from and the number of operations invoked. */
  private readonly memo = new Map<
    string | number,
    Map<number, { readonly applied: OperationSetSnapshot; readonly chains: readonly UnknownChain<State>[] }[]>
  >();
  /**
   * By the contract of `effectKey` and `stateKey`, the key a class leads to
   * depends only on the key it starts from; remembering it lets the
   * breadth-first search skip most steps that would only find a known state.
   */
  private readonly transitions = new Map<string | number, (Transition | undefined)[]>();

  /**
   * @param unknown - the partition's unknown-outcome operations, sorted by invocation time.
   * @param budget - charged for every operation tried and every long comparison.
   */
  constructor(
    private readonly model: Model<State, Input, Output>,
    private readonly unknown: readonly OptionalOperation<Input>[],
    private readonly budget: StepBudget,
  ) {
    this.classOf = new Int32Array(unknown.length);
    const classByKey = new Map<string | number, number>();
    unknown.forEach((op, index) => {
      const key = model.effectKey?.(op.input);
      let classIndex = key === undefined ? undefined : classByKey.get(key);
      if (classIndex === undefined) {
        classIndex = this.classes.length;
        this.classes.push([]);
        if (key !== undefined) classByKey.set(key, classIndex);
      }
      this.classes[classIndex]!.push(index);
      this.classOf[index] = classIndex;
    });
  }

  /**
   * The chains from `from`, given the unknown operations already `applied`
   * and the current `deadline`.
   *
   * @returns the chains in order of length, or undefined if the budget ran out.
   */
  from(from: State, applied: OperationSet, deadline: number): readonly UnknownChain<State>[] | undefined {
    if (this.unknown.length === 0) return NO_CHAINS;
    const invoked = this.invokedBy(deadline);
    const stateKey = this.model.stateKey(from);
    // Applied operations were available when applied and deadlines only grow along a path,
    // so (invoked, applied) determines exactly which operations are available.
    let byInvoked = this.memo.get(stateKey);
    if (byInvoked === undefined) {
      byInvoked = new Map();
      this.memo.set(stateKey, byInvoked);
    }
    let entries = byInvoked.get(invoked);
    if (entries === undefined) {
      entries = [];
      byInvoked.set(invoked, entries);
    }
    this.budget.chargeComparisons(entries.length);
    for (const entry of entries) {
      if (applied.equals(entry.applied)) return entry.chains;
    }
    const chains = this.breadthFirst(from, stateKey, applied, invoked);
    if (chains === undefined) return undefined;
    entries.push({ applied: applied.snapshot(), chains });
    return chains;
  }

  /** How many unknown operations were invoked no later than `deadline` (they are sorted by invocation). */
  private invokedBy(deadline: number): number {
    let low = 0;
    let high = this.unknown.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.unknown[middle]!.invoke <= deadline) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The classes with an available member, with the position of their first unapplied member. */
  private availableClasses(applied: OperationSet, invoked: number): AvailableClass[] {
    const available: AvailableClass[] = [];
    for (const members of this.classes) {
      // Members are applied in order, so the applied ones are a prefix.
      let first = 0;
      while (first < members.length && applied.has(members[first]!)) first++;
      if (first < members.length && members[first]! < invoked) available.push({ members, first });
    }
    return available;
  }

  private transitionsFrom(key: string | number): (Transition | undefined)[] {
    let row = this.transitions.get(key);
    if (row === undefined) {
      row = [];
      this.transitions.set(key, row);
    }
    return row;
  }

  private breadthFirst(from: State, fromKey: string | number, applied: OperationSet, invoked: number): UnknownChain<State>[] | undefined {
    const reached: UnknownChain<State>[] = [];
    const classes = this.availableClasses(applied, invoked);
    if (classes.length === 0) return reached;
    const minimal = new MinimalChains(fromKey, this.budget);
    let frontier: Reached<State>[] = [{ state: from, key: fromKey, chain: NO_OPERATIONS }];
    while (frontier.length > 0) {
      const nextFrontier: Reached<State>[] = [];
      for (const start of frontier) {
        const row = this.transitionsFrom(start.key);
        for (const { members, first } of classes) {
          // The earliest member the chain has not used yet stands for the whole class.
          let position = first;
          while (position < members.length && start.chain.includes(members[position]!)) position++;
          const index = members[position];
          if (index === undefined || index >= invoked) continue;
          const classIndex = this.classOf[index]!;
          const known = row[classIndex];
          if (known) {
            this.budget.chargeComparisons(1);
            if (!known.ok || minimal.covers(known.key, start.chain, index)) continue;
          }
          if (!this.budget.spend()) return undefined;
          const result = this.model.step(start.state, this.unknown[index]!.input, undefined);
          const key = this.model.stateKey(result.state);
          row[classIndex] = { ok: result.ok, key };
          if (!result.ok || minimal.covers(key, start.chain, index)) continue;
          const chain = [...start.chain, index];
          minimal.add(key, chain);
          reached.push({ state: result.state, chain });
          nextFrontier.push({ state: result.state, key, chain });
        }
      }
      frontier = nextFrontier;
    }
    return reached;
  }
}

/** The smallest chains found so far that reach each state key. */
class MinimalChains {
  private readonly byKey = new Map<string | number, (readonly number[])[]>();

  /**
   * @param fromKey - the key of the start state, which the empty chain reaches.
   * @param budget - charged for comparisons, which grow with the number of chains.
   */
  constructor(
    fromKey: string | number,
    private readonly budget: StepBudget,
  ) {
    this.byKey.set(fromKey, [NO_OPERATIONS]);
  }

  /** Whether a known chain to `key` uses only operations of `chain` plus `extra`. */
  covers(key: string | number, chain: readonly number[], extra: number): boolean {
    const known = this.byKey.get(key);
    if (known === undefined) return false;
    this.budget.chargeComparisons(known.length);
    for (const shorter of known) {
      if (shorter.every((index) => index === extra || chain.includes(index))) return true;
    }
    return false;
  }

  add(key: string | number, chain: readonly number[]): void {
    const known = this.byKey.get(key);
    if (known) known.push(chain);
    else this.byKey.set(key, [chain]);
  }
}
