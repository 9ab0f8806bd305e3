/**
 * A small deterministic in-process cluster for the core's own tests: real
 * RawNodes over MemoryStorage, messages delivered in FIFO order by explicit
 * calls, with filters for dropping and partitions. (The randomized simulator
 * with faults lives in @raftkit/testkit.)
 */
import { decodeConfChange } from '../confchange/codec.js';
import { type ConfChangeSingle, ConfChangeTransition } from '../confchange/types.js';
import type { RaftConfig } from '../config.js';
import { RawNode, type Ready } from '../raw-node.js';
import { seededRandom } from '../random.js';
import { MemoryStorage, usableSnapshotIndex } from '../storage.js';
import type { MessageType} from '../types.js';
import { type Entry, EntryType, type Message, type ReadState, StateRole } from '../types.js';

export interface MemberHandle {
  id: number;
  node: RawNode;
  storage: MemoryStorage;
  /** Entries applied, in order (including no-ops and conf changes). */
  applied: Entry[];
  readStates: ReadState[];
}

export interface TestClusterOptions {
  electionTick?: number;
  electionTickMax?: number;
  heartbeatTick?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  seed?: number;
  /** Extra settings for every member. */
  extra?: Partial<RaftConfig>;
  /** Members that start as learners. */
  learners?: number[];
}

export type MessageFilter = (m: Message) => boolean;

export class TestCluster {
  readonly members = new Map<number, MemberHandle>();
  /** Messages sent and not yet delivered. */
  inFlight: Message[] = [];
  /** Every message ever sent, for assertions. */
  sent: Message[] = [];
  private filters: MessageFilter[] = [];
  private down = new Set<number>();

  constructor(
    readonly ids: number[],
    private readonly opts: TestClusterOptions = {},
  ) {
    const voters = ids.filter((id) => !(opts.learners ?? []).includes(id));
    for (const id of ids) {
      const storage = MemoryStorage.withMembers(voters, opts.learners ?? []);
      this.members.set(id, this.newMember(id, storage, 0));
    }
  }

  newMember(id: number, storage: MemoryStorage, applied: number): MemberHandle {
    const node = new RawNode({
      id,
      storage,
      electionTick: this.opts.electionTick ?? 10,
      ...(this.opts.electionTickMax !== undefined ? { electionTickMax: this.opts.electionTickMax } : {}),
      heartbeatTick: this.opts.heartbeatTick ?? 1,
      preVote: this.opts.preVote ?? false,
      checkQuorum: this.opts.checkQuorum ?? false,
      applied,
      random: seededRandom((this.opts.seed ?? 1) * 1000 + id),
      ...this.opts.extra,
    });
    return { id, node, storage, applied: [], readStates: [] };
  }

  member(id: number): MemberHandle {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  node(id: number): RawNode {
    return this.member(id).node;
  }

  /** Adds a drop filter; returns a function that removes it. */
  drop(filter: MessageFilter): () => void {
    this.filters.push(filter);
    return () => {
      this.filters = this.filters.filter((f) => f !== filter);
    };
  }

  /** Cuts `id` off from everyone (both directions). */
  isolate(id: number): () => void {
    return this.drop((m) => m.from === id || m.to === id);
  }

  /** Splits the cluster into groups that cannot talk to each other. */
  partition(...groups: number[][]): () => void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    return this.drop((m) => groupOf.get(m.from) !== groupOf.get(m.to));
  }

  /** Removes every filter. */
  heal(): void {
    this.filters = [];
  }

  /** Handles one Ready of `id` (persist, send, apply, advance). Returns whether there was one. */
  processReady(id: number): boolean {
    const h = this.member(id);
    if (this.down.has(id) || !h.node.hasReady()) return false;
    const rd = h.node.ready();
    this.handleReady(h, rd);
    return true;
  }

  /**
   * Hands out `id`'s Ready without handling it, as a member slow to persist
   * and apply would; the cluster processes no Ready of `id` until it is
   * finished with {@link finishReady}. Messages to `id` are still delivered.
   */
  takeReady(id: number): Ready {
    return this.node(id).ready();
  }

  /** Handles a Ready taken with {@link takeReady}: persist, send, apply, advance. */
  finishReady(id: number, rd: Ready): void {
    this.handleReady(this.member(id), rd);
  }

  private handleReady(h: MemberHandle, rd: Ready): void {
    this.enqueue(rd.messages);
    if (rd.snapshot) h.storage.applySnapshot(rd.snapshot);
    h.storage.append(rd.entries);
    if (rd.hardState) h.storage.setHardState(rd.hardState);
    if (rd.compactTo !== undefined) h.storage.compact(rd.compactTo);
    this.enqueue(rd.messagesAfterPersist);
    // The state machine of these tests is the list of applied entries; a
    // snapshot carries it.
    if (rd.snapshot) h.applied = decodeApplied(rd.snapshot.data);
    for (const e of rd.committedEntries) {
      h.applied.push(e);
      if (e.type === EntryType.ConfChange) {
        const cs = h.node.applyConfChange(decodeConfChange(e.data));
        h.storage.setConfState(cs);
      }
    }
    h.readStates.push(...rd.readStates);
    h.node.advance();
    if (rd.snapshotRequested) this.takeSnapshot(h.id);
  }

  /** Member `id` snapshots its state at its applied index and reports it, as an application would. */
  takeSnapshot(id: number): void {
    const h = this.member(id);
    const applied = h.node.raft.raftLog.applied;
    if (applied <= usableSnapshotIndex(h.storage)) return;
    h.storage.createSnapshot(applied, h.node.raft.trk.confState(), encodeApplied(h.applied));
    h.node.reportSnapshotTaken(applied);
  }

  /**
   * Member `id` reports its log compactable through its applied index
   * without a snapshot, as an application that keeps its state durable with
   * the log does (RawNode.reportCompactable).
   */
  reportCompactable(id: number): void {
    const h = this.member(id);
    h.node.reportCompactable(h.node.raft.raftLog.applied);
  }

  /** Adds a member that starts with empty storage, as a member joining an existing cluster does. */
  addMember(id: number): MemberHandle {
    const h = this.newMember(id, new MemoryStorage(), 0);
    this.members.set(id, h);
    this.down.delete(id);
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
    return h;
  }

  private enqueue(msgs: Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      this.inFlight.push(m);
    }
  }

  /** Delivers every in-flight message once (those sent meanwhile wait). Returns how many were delivered. */
  deliverAll(): number {
    const batch = this.inFlight;
    this.inFlight = [];
    let n = 0;
    for (const m of batch) {
      if (this.down.has(m.to) || !this.members.has(m.to)) continue;
      if (this.filters.some((f) => f(m))) continue;
      this.member(m.to).node.step(m);
      n++;
    }
    return n;
  }

  /** Processes Readies and delivers messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      let moved = false;
      for (const id of this.members.keys()) while (this.processReady(id)) moved = true;
      if (this.deliverAll() > 0) moved = true;
      if (!moved && this.inFlight.length === 0) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks `id` n times, stabilizing after each tick. */
  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      if (!this.down.has(id)) this.node(id).tick();
      this.stabilize();
    }
  }

  /** Ticks every live member n times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of this.members.keys()) if (!this.down.has(id)) this.node(id).tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and lets the election run to completion. */
  elect(id: number): void {
    this.node(id).campaign();
    this.stabilize();
  }

  /** Proposes on `id` and stabilizes. */
  propose(id: number, data: string | Uint8Array): void {
    this.node(id).propose(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.stabilize();
  }

  /** Proposes a membership change on `on` and stabilizes. */
  confChange(on: number, changes: ConfChangeSingle[], transition: ConfChangeTransition = ConfChangeTransition.Auto): void {
    this.node(on).proposeConfChange({ transition, changes, context: new Uint8Array() });
    this.stabilize();
  }

  /** The voters as seen by member `id`. */
  voters(id: number): number[] {
    return this.node(id).raft.trk.voterIds();
  }

  /** Stops `id`: in-flight messages to it are lost; durable storage stays. */
  crash(id: number): void {
    this.down.add(id);
    this.inFlight = this.inFlight.filter((m) => m.to !== id && m.from !== id);
  }

  /** Restarts `id` from its durable storage. */
  restart(id: number): void {
    const old = this.member(id);
    const applied = old.applied.length > 0 ? old.applied[old.applied.length - 1]!.index : 0;
    const h = this.newMember(id, old.storage, applied);
    h.applied = old.applied;
    this.members.set(id, h);
    this.down.delete(id);
  }

  isDown(id: number): boolean {
    return this.down.has(id);
  }

  /** The current leader among live members, if exactly one claims the highest term. */
  leader(): number | undefined {
    let best: { id: number; term: number } | undefined;
    for (const [id, h] of this.members) {
      if (this.down.has(id)) continue;
      const r = h.node.raft;
      if (r.state === StateRole.Leader && (!best || r.term > best.term)) best = { id, term: r.term };
    }
    return best?.id;
  }

  /** The data of applied normal, non-empty entries of `id`, decoded as text. */
  appliedData(id: number): string[] {
    return this.member(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  /** Messages of `type` sent so far. */
  sentOfType(type: MessageType): Message[] {
    return this.sent.filter((m) => m.type === type);
  }
}

function encodeApplied(applied: Entry[]): Uint8Array {
  const plain = applied.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Buffer.from(e.data).toString('base64') }));
  return new TextEncoder().encode(JSON.stringify(plain));
}

function decodeApplied(data: Uint8Array): Entry[] {
  if (data.length === 0) return [];
  const plain = JSON.parse(new TextDecoder().decode(data)) as Array<{ index: number; term: number; type: EntryType; data: string }>;
  return plain.map((e) => ({ ...e, data: new Uint8Array(Buffer.from(e.data, 'base64')) }));
}

/** Terms of the durable+unstable log of a node, index 1..last (0 where compacted). */
export function logTerms(node: RawNode): number[] {
  const log = node.raft.raftLog;
  const out: number[] = [];
  for (let i = 1; i <= log.lastIndex(); i++) out.push(log.termOrZero(i));
  return out;
}
