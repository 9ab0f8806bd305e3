/**
 * RaftNode members on a VirtualClock with in-memory storage, a key-value
 * state machine and a message bus with fixed latency, for the driver's tests.
 */
import type { AppliedEntry, NodeStateMachine, NodeTransport } from '../node/interfaces.js';
import { type DeduplicatorState, ProposalDeduplicator } from '../node/deduplicator.js';
import { RaftNode, type RaftNodeEvent } from '../node/raft-node.js';
import { seededRandom } from '../random.js';
import { MemoryNodeStorage } from '../testing/memory-node-storage.js';
import { VirtualClock } from '../testing/virtual-clock.js';
import type { Message, Snapshot, SnapshotMetadata } from '../types.js';

/** The durable part of the test state machine: survives crashes. */
interface KvDisk {
  data: Map<string, string>;
  applied: number;
  dedup: ProposalDeduplicator;
  /** How many times each key was written (to catch double application). */
  writes: Map<string, number>;
}

export class KvStateMachine implements NodeStateMachine<string | null> {
  readonly appliedEntries: AppliedEntry[] = [];
  /** Present with on-demand snapshots: the disk survives crashes, so the log may be compacted through it. */
  compactableIndex?: () => number;

  constructor(
    readonly disk: KvDisk,
    private readonly storage: MemoryNodeStorage,
    onDemandSnapshots = false,
  ) {
    if (onDemandSnapshots) this.compactableIndex = () => this.disk.applied;
  }

  appliedIndex(): number {
    return this.disk.applied;
  }

  apply(entries: AppliedEntry[]): Array<string | null> {
    return entries.map((e) => {
      this.appliedEntries.push(e);
      this.disk.applied = e.index;
      if (e.kind === 'conf-change') this.storage.saveConfState(e.confState!);
      if (e.kind !== 'normal') return null;
      if (e.proposal && !this.disk.dedup.firstTime(e.proposal, e.index)) return null;
      const { k, v } = JSON.parse(new TextDecoder().decode(e.payload)) as { k: string; v: string };
      this.disk.writes.set(k, (this.disk.writes.get(k) ?? 0) + 1);
      const prev = this.disk.data.get(k) ?? null;
      this.disk.data.set(k, v);
      return prev;
    });
  }

  async createSnapshot(meta: SnapshotMetadata): Promise<void> {
    const data = new TextEncoder().encode(JSON.stringify({ data: [...this.disk.data], dedup: this.disk.dedup.toState() }));
    this.storage.createSnapshot(meta.index, meta.confState, data);
  }

  async restoreSnapshot(snapshot: Snapshot): Promise<void> {
    // Empty data is the bootstrap snapshot: the initial, empty state.
    if (snapshot.data.length === 0) {
      this.disk.data = new Map();
      this.disk.dedup = new ProposalDeduplicator();
    } else {
      const parsed = JSON.parse(new TextDecoder().decode(snapshot.data)) as { data: Array<[string, string]>; dedup: DeduplicatorState };
      this.disk.data = new Map(parsed.data);
      this.disk.dedup = ProposalDeduplicator.fromState(parsed.dedup);
    }
    this.disk.applied = snapshot.metadata.index;
  }
}

export interface NodeMember {
  id: number;
  node: RaftNode<string | null>;
  storage: MemoryNodeStorage;
  sm: KvStateMachine;
  disk: KvDisk;
  events: RaftNodeEvent[];
  up: boolean;
}

export class NodeCluster {
  readonly clock = new VirtualClock();
  readonly members = new Map<number, NodeMember>();
  latencyMs = 1;
  /** Deliver every message of these types twice. */
  duplicate = new Set<number>();
  /** Drop messages matching any filter. */
  filters: Array<(m: Message) => boolean> = [];
  sent: Message[] = [];

  constructor(
    ids: number[],
    private readonly extra: {
      snapshotInterval?: number;
      /** Compact without snapshots; take one only when a follower needs it. */
      onDemandSnapshots?: boolean;
      logTailAfterSnapshot?: number;
      requestTimeoutMs?: number;
      diskLatencyMs?: number;
      maxPendingProposals?: number;
    } = {},
  ) {
    for (const id of ids) {
      const storage = MemoryNodeStorage.founding(ids, [], this.clock);
      const disk: KvDisk = { data: new Map(), applied: 1, dedup: new ProposalDeduplicator(), writes: new Map() };
      this.members.set(id, this.makeMember(id, storage, disk));
    }
  }

  private makeMember(id: number, storage: MemoryNodeStorage, disk: KvDisk): NodeMember {
    storage.latency = this.extra.diskLatencyMs ?? 0;
    const sm = new KvStateMachine(disk, storage, this.extra.onDemandSnapshots);
    const events: RaftNodeEvent[] = [];
    const transport: NodeTransport = { send: (msgs) => this.deliver(msgs) };
    const node = new RaftNode<string | null>({
      raft: {
        id,
        electionTick: 10,
        heartbeatTick: 1,
        random: seededRandom(id),
        ...(this.extra.logTailAfterSnapshot !== undefined ? { logTailAfterSnapshot: this.extra.logTailAfterSnapshot } : {}),
      },
      storage,
      stateMachine: sm,
      transport,
      clock: this.clock,
      tickMs: 10,
      snapshotInterval: this.extra.snapshotInterval ?? 0,
      requestTimeoutMs: this.extra.requestTimeoutMs ?? 2000,
      ...(this.extra.maxPendingProposals !== undefined ? { maxPendingProposals: this.extra.maxPendingProposals } : {}),
      onEvent: (e) => events.push(e),
    });
    return { id, node, storage, sm, disk, events, up: true };
  }

  private deliver(msgs: Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      if (this.filters.some((f) => f(m))) continue;
      const copies = this.duplicate.has(m.type) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        this.clock.setTimer(this.latencyMs + i * 3, () => {
          const to = this.members.get(m.to);
          if (to?.up && !this.filters.some((f) => f(m))) to.node.receive([m]);
        });
      }
    }
  }

  member(id: number): NodeMember {
    return this.members.get(id)!;
  }

  startAll(): void {
    for (const m of this.members.values()) m.node.start();
  }

  leader(): NodeMember | undefined {
    return [...this.members.values()].find((m) => m.up && m.node.raw.raft.state === 'leader');
  }

  async waitForLeader(maxMs = 5000): Promise<NodeMember> {
    await this.clock.runUntilTrue(() => this.leader() !== undefined, maxMs);
    const l = this.leader();
    if (!l) throw new Error('no leader elected');
    return l;
  }

  /** Runs the clock while `p` is pending; resolves or rejects with it. */
  async settle<T>(p: Promise<T>, maxMs = 10_000): Promise<T> {
    let done = false;
    const wrapped = p.finally(() => {
      done = true;
    });
    await this.clock.runUntilTrue(() => done, maxMs);
    return wrapped;
  }

  crash(id: number): void {
    const m = this.member(id);
    m.up = false;
    m.storage.crash();
    m.node.halt();
  }

  restart(id: number): void {
    const old = this.member(id);
    // What survives: the storage's completed writes and the state machine's disk.
    const m = this.makeMember(id, old.storage, old.disk);
    this.members.set(id, m);
    m.node.start();
  }

  put(on: number, k: string, v: string): Promise<string | null> {
    return this.member(on).node.propose(new TextEncoder().encode(JSON.stringify({ k, v })));
  }
}

export { seededRandom };
