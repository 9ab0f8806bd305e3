/** The interval of an operation whose completion is known. */
export interface Interval {
  readonly invoke: number;
  readonly complete: number;
}

/**
 * The invocation and completion events of the completed operations of one
 * partition, in time order, as the doubly linked list of Wing and Gong's
 * algorithm (and Porcupine's `checkSingle`).
 *
 * The search walks it from the head: the invocations before the first
 * completion are exactly the operations that may be linearized next, and the
 * first completion is the deadline by which one of them must be. Linearizing
 * an operation lifts both of its events out of the list; backtracking puts
 * them back. Lifting leaves the lifted node's own links intact ("dancing
 * links"), so undoing in reverse order restores the list exactly.
 *
 * Nodes are integers: 0 is the head sentinel, `1..2n` the events, `2n + 1`
 * the tail sentinel.
 */
export class EntryList {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** For an invocation node, the node of its completion; 0 for completion and sentinel nodes. */
  private readonly completionOf: Int32Array;
  private readonly operationOf: Int32Array;
  private readonly times: Float64Array;

  /** Builds the list for `operations`, which must be sorted by invocation time; nodes refer to them by position. */
  constructor(operations: readonly Interval[]) {
    const n = operations.length;
    const nodes = 2 * n + 2;
    this.next = new Int32Array(nodes);
    this.prev = new Int32Array(nodes);
    this.completionOf = new Int32Array(nodes);
    this.operationOf = new Int32Array(nodes).fill(-1);
    this.times = new Float64Array(nodes).fill(Number.POSITIVE_INFINITY);

    const byCompletion = Array.from({ length: n }, (_, index) => index).sort(
      (a, b) => operations[a]!.complete - operations[b]!.complete || a - b,
    );
    const invokeNode = new Int32Array(n);
    let node = 1;
    let completed = 0;
    for (let invoked = 0; invoked < n || completed < n; node++) {
      const nextInvoke = invoked < n ? operations[invoked]!.invoke : Number.POSITIVE_INFINITY;
      const completing = byCompletion[completed];
      // At equal times invocations come first, which makes an operation that
      // completes exactly when another is invoked concurrent with it.
      if (completing === undefined || nextInvoke <= operations[completing]!.complete) {
        this.operationOf[node] = invoked;
        this.times[node] = nextInvoke;
        invokeNode[invoked++] = node;
      } else {
        this.operationOf[node] = completing;
        this.times[node] = operations[completing]!.complete;
        this.completionOf[invokeNode[completing]!] = node;
        completed++;
      }
    }
    for (let i = 0; i < nodes; i++) {
      this.next[i] = i + 1;
      this.prev[i] = i - 1;
    }
  }

  /** The first event still in the list (the tail sentinel if none). */
  first(): number {
    return this.next[0]!;
  }

  /** The event after `node`. */
  after(node: number): number {
    return this.next[node]!;
  }

  /** Whether `node` is an invocation (rather than a completion or the tail). */
  isInvocation(node: number): boolean {
    return this.completionOf[node] !== 0;
  }

  /** The index of the operation `node` belongs to; -1 for sentinels. */
  operation(node: number): number {
    return this.operationOf[node]!;
  }

  /** The time of the event at `node`; +infinity for the tail. */
  time(node: number): number {
    return this.times[node]!;
  }

  /** Removes the invocation `node` and its completion. */
  lift(node: number): void {
    this.unlink(node);
    this.unlink(this.completionOf[node]!);
  }

  /** Puts back the invocation `node` and its completion; must undo the latest {@link lift}. */
  unlift(node: number): void {
    this.relink(this.completionOf[node]!);
    this.relink(node);
  }

  private unlink(node: number): void {
    const before = this.prev[node]!;
    const after = this.next[node]!;
    this.next[before] = after;
    this.prev[after] = before;
  }

  private relink(node: number): void {
    this.next[this.prev[node]!] = node;
    this.prev[this.next[node]!] = node;
  }
}
