/**
 * A small in-process cluster of real RawNodes, each on its own RaftStorage
 * in its own directory, with messages delivered by explicit calls and
 * snapshots streamed between the members' snapshot stores the way a
 * transport does it. For integration tests of the storage with the core.
 */
import {
  EntryType,
  type Message,
  MessageType,
  RawNode,
  SnapshotStatus,
  decodeConfChange,
  seededRandom,
} from '@raftkit/core';
import { RaftStorage } from '../raft-storage.js';

/** One member: its node, its storage, and where it lives. */
export interface Member {
  id: number;
  dataDir: string;
  storage: RaftStorage;
  node: RawNode;
}

export class StorageCluster {
  readonly members = new Map<number, Member>();
  private queue: Message[] = [];
  private readonly cut = new Set<number>();

  private constructor(private readonly ids: number[]) {}

  /** Starts founding members `ids`, with data directories from `dirFor`. */
  static async start(ids: number[], dirFor: (id: number) => string): Promise<StorageCluster> {
    const cluster = new StorageCluster(ids);
    for (const id of ids) await cluster.startMember(id, dirFor(id));
    return cluster;
  }

  member(id: number): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** (Re)starts a member from its data directory, restoring its state machine first if needed. */
  async startMember(id: number, dataDir: string): Promise<Member> {
    const storage = await RaftStorage.open({ dataDir, bootstrap: { voters: this.ids }, snapshotChunkBytes: 4096 });
    await storage.stateMachine.restoreIfNeeded();
    const node = new RawNode({
      id,
      storage: storage.log,
      electionTick: 10,
      heartbeatTick: 1,
      applied: storage.stateMachine.appliedIndex(),
      random: seededRandom(id),
      maxSizePerMsg: 4096,
    });
    const member = { id, dataDir, storage, node };
    this.members.set(id, member);
    return member;
  }

  /** Stops a member as a crash would (its pending messages are lost), keeping its directory. */
  async stopMember(id: number): Promise<void> {
    await this.member(id).storage.close();
    this.members.delete(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** Drops every message to or from `id` until {@link heal}. */
  isolate(id: number): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handles Readies and delivers messages until nothing is left to do. */
  async settle(): Promise<void> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      let busy = false;
      for (const m of this.members.values()) {
        while (m.node.hasReady()) {
          busy = true;
          await this.handleReady(m);
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        busy = true;
        await this.deliver(msg);
      }
      if (!busy) return;
    }
    throw new Error('the cluster did not settle');
  }

  /** Ticks every member `n` times, settling after each tick. */
  async tick(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      for (const m of this.members.values()) m.node.tick();
      await this.settle();
    }
  }

  /** The key/value pairs a member's state machine holds. */
  state(id: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const r of this.member(id).storage.stateMachine.range()) out.set(Buffer.from(r.key).toString(), Buffer.from(r.value).toString());
    return out;
  }

  /** One Ready, following the contract in raw-node.ts, with persist and apply in one transaction. */
  private async handleReady(m: Member): Promise<void> {
    const { node, storage } = m;
    const rd = node.ready();
    this.send(rd.messages);
    await storage.persistAndApply(rd, (e, state) => {
      if (e.type === EntryType.ConfChange) return node.applyConfChange(decodeConfChange(e.data));
      if (e.data.length === 0) return undefined;
      const [key, value] = Buffer.from(e.data).toString().split('=');
      state.put(Buffer.from(key!), Buffer.from(value!));
      return undefined;
    });
    this.send(rd.messagesAfterPersist);
    node.advance();
  }

  private send(messages: Message[]): void {
    for (const msg of messages) if (!this.cut.has(msg.to) && !this.cut.has(msg.from)) this.queue.push(msg);
  }

  private async deliver(msg: Message): Promise<void> {
    const to = this.members.get(msg.to);
    if (!to) return;
    if (msg.type === MessageType.Snap && msg.snapshot) {
      // The transport's job: stream the bytes into the receiver's store, then hand the core the metadata.
      const from = this.member(msg.from);
      const reader = await from.storage.snapshots.openReader(msg.snapshot.metadata);
      const writer = await to.storage.snapshots.createWriter(reader.metadata);
      for await (const chunk of reader) await writer.write(chunk);
      await writer.commit();
      to.node.step({ ...msg, snapshot: { metadata: msg.snapshot.metadata, data: new Uint8Array(0) } });
      from.node.reportSnapshot(msg.to, SnapshotStatus.Finish);
      return;
    }
    to.node.step(msg);
  }
}
