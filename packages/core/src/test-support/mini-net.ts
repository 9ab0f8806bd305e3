/**
 * A synchronous message pump over hand-built RawNodes, in the style of etcd's
 * raft test network: `send` delivers messages (and everything they cause)
 * until the network is quiet. A `null` peer is a black hole.
 */
import type { RawNode } from '../raw-node.js';
import { type Message, MessageType } from '../types.js';
import { isLocalMessage } from '../util.js';
import { drainAll } from './single.js';

export class MiniNet {
  readonly peers: Map<number, RawNode | null>;
  private dropped = new Set<string>();
  private ignored = new Set<MessageType>();
  /** Every message delivered or dropped, in order. */
  readonly log: Message[] = [];

  constructor(peers: Record<number, RawNode | null>) {
    this.peers = new Map(Object.entries(peers).map(([k, v]) => [Number(k), v]));
  }

  node(id: number): RawNode {
    const n = this.peers.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Drops every message between a and b (both directions). */
  cut(a: number, b: number): void {
    this.dropped.add(`${a}-${b}`);
    this.dropped.add(`${b}-${a}`);
  }

  /** Cuts `id` off from every other peer. */
  isolate(id: number): void {
    for (const other of this.peers.keys()) if (other !== id) this.cut(id, other);
  }

  /** Drops every message of type `t`. */
  ignore(t: MessageType): void {
    this.ignored.add(t);
  }

  recover(): void {
    this.dropped.clear();
    this.ignored.clear();
  }

  /** Delivers messages and their consequences until the network is quiet. */
  send(...msgs: Message[]): void {
    const queue = [...msgs];
    let steps = 0;
    while (queue.length > 0) {
      if (++steps > 100_000) throw new Error('network did not quiesce');
      const m = queue.shift()!;
      this.log.push(m);
      if (this.dropped.has(`${m.from}-${m.to}`) || this.ignored.has(m.type)) continue;
      const node = this.peers.get(m.to);
      if (!node) continue;
      if (isLocalMessage(m.type) || m.type === MessageType.Prop || m.type === MessageType.TransferLeader) {
        node.raft.step(m);
      } else {
        node.step(m);
      }
      queue.push(...drainAll(node));
    }
  }

  /** Drains every node's pending output into the network. */
  flush(): void {
    const out: Message[] = [];
    for (const n of this.peers.values()) if (n) out.push(...drainAll(n));
    this.send(...out);
  }
}
