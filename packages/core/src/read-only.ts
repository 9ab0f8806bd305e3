import type { Message } from './types.js';

/**
 * How a leader answers read-only requests.
 * - `safe`: ReadIndex (Raft thesis §6.4): record the commit index, confirm
 *   leadership with a round of heartbeats acknowledged by a quorum, then
 *   answer. Correct regardless of clocks.
 * - `lease`: answer from the commit index at once, trusting that no other
 *   leader can exist while CheckQuorum keeps this one in office (§6.4.1).
 *   This assumes bounded clock drift between members: a member's election
 *   timeout must not elapse faster than the leader's, or a new leader could
 *   be elected while the old one still serves reads. Requires CheckQuorum.
 *
 * @example
 * ```ts
 * // Lease reads: no heartbeat round per read, at the price of trusting clocks.
 * const node = new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1,
 *   checkQuorum: true, readOnlyOption: 'lease' });
 * // On the leader, a read is answered from the commit index in the next
 * // Ready (a new leader holds it until it has committed an entry of its term):
 * node.readIndex(requestId);
 * ```
 */
export type ReadOnlyOption = 'safe' | 'lease';

/** One pending ReadIndex request and the heartbeat acknowledgements received for it. */
export interface ReadIndexStatus {
  /** The ReadIndex message, local or forwarded, to answer once confirmed. */
  request: Message;
  /** The leader's commit index when the request arrived: the read index it is answered with. */
  index: number;
  /** Members that acknowledged a heartbeat carrying this request's context (the leader included). */
  acks: Map<number, boolean>;
}

/** Keys byte contexts for maps; the context is opaque, so use a lossless string form. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/**
 * The leader's queue of ReadIndex requests awaiting heartbeat confirmation.
 * Requests are confirmed in order: an acknowledgement for a later request
 * confirms every earlier one too.
 */
export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** An empty queue; with `lease`, requests are answered at once and never queued here. */
  constructor(readonly option: ReadOnlyOption) {}

  /** Number of requests waiting for confirmation. */
  get size(): number {
    return this.queue.length;
  }

  /** Queues a request (its context is `request.entries[0].data`) to be answered at `index`. Duplicates are ignored. */
  addRequest(index: number, request: Message): void {
    const key = contextKey(request.entries[0]!.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, request, acks: new Map() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement from `id` for `context`; returns the acks so far. */
  recvAck(id: number, context: Uint8Array): Map<number, boolean> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (!rs) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /**
   * Dequeues the request with `context` and every request queued before it,
   * now that a quorum confirmed leadership after they were queued.
   */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const i = this.queue.indexOf(key);
    if (i < 0) return [];
    const done = this.queue.splice(0, i + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      out.push(this.pending.get(k)!);
      this.pending.delete(k);
    }
    return out;
  }

  /** The context of the newest pending request; heartbeats carry it so their acks confirm every request. */
  lastPendingRequestContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)!.request.entries[0]!.data;
  }
}
