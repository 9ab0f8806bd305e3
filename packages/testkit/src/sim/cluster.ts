import { RaftNode, type RaftNodeEvent, StateRole } from '@raftkit/core';
import type { MemoryNodeStorage, VirtualClock } from '@raftkit/core/testing';
import type { SimApplication, SimStateMachine } from './application.js';
import { type BreakableRule, breakRule } from './break-rules.js';
import type { FaultCounts } from './fault-counts.js';
import type { SimNetwork } from './network.js';
import type { SimRaftOverrides } from './options.js';
import type { Rng } from './rng.js';
import { SkewedClock } from './skewed-clock.js';

/** One simulated member: a process (`node`, `sm`) over durable state (`storage`, `disk`) that outlives it. */
export interface SimMember<I, O, D> {
  id: number;
  storage: MemoryNodeStorage;
  /** Identifies `storage`; a member re-added with empty storage gets a new one. */
  storageGeneration: number;
  disk: D;
  sm: SimStateMachine<I, O>;
  node: RaftNode<O>;
  clockRate: number;
  up: boolean;
  /** Removed from the configuration (its process stopped). */
  removed: boolean;
}

/** How the members of a {@link SimCluster} are built. */
export interface SimClusterSettings<I, O, D> {
  clock: VirtualClock;
  /** Draws clock rates and each process's election jitter. */
  rng: Rng;
  network: SimNetwork;
  app: SimApplication<I, O, D>;
  tickMs: number;
  /** Whether members' clocks drift (fault kind `skew`). */
  skew: boolean;
  snapshotInterval: number;
  logTail: number;
  /** Byte limit of the entries in one append message (at least one entry goes). */
  maxSizePerMsg: number;
  onDemandSnapshots: boolean;
  raft?: SimRaftOverrides;
  breakRule?: BreakableRule;
  /** Latency of an ordinary durable write. */
  diskLatency: () => number;
  /** Called with every entry a member applies. */
  onApplied: (id: number, index: number, digest: string) => void;
  /** Called with every event of a member's driver. */
  onEvent: (id: number, event: RaftNodeEvent) => void;
  /** Where a drifting clock is counted as the `skew` fault acting. */
  counts: FaultCounts;
  /** Called with each new process before it starts (to observe its core). */
  onProcess?: (member: SimMember<I, O, D>) => void;
}

/**
 * The members of a simulated cluster and what can happen to their
 * processes: start, crash (losing writes in flight), restart from durable
 * state. Knows which members are up and which one leads; decides nothing
 * on its own (faults and clients do).
 */
export class SimCluster<I, O, D> {
  private readonly members = new Map<number, SimMember<I, O, D>>();
  private storageGenerations = 0;

  constructor(private readonly s: SimClusterSettings<I, O, D>) {}

  /** Starts a member process over `storage` and `disk` (a new member, or a restart with `clockRate` kept). */
  start(id: number, storage: MemoryNodeStorage, disk: D, clockRate?: number): SimMember<I, O, D> {
    const s = this.s;
    const rate = clockRate ?? (s.skew ? 0.85 + s.rng.float() * 0.35 : 1);
    if (clockRate === undefined && rate !== 1) s.counts.count('skew');
    const clock = new SkewedClock(s.clock, rate);
    const sm = s.app.createStateMachine(disk, storage, { onDemandSnapshots: s.onDemandSnapshots });
    const raftRng = s.rng.fork();
    sm.onApplied = (index, digest) => s.onApplied(id, index, digest);
    const node = new RaftNode<O>({
      raft: {
        id,
        electionTick: 10,
        heartbeatTick: 2,
        random: () => raftRng.float(),
        logTailAfterSnapshot: s.logTail,
        maxSizePerMsg: s.maxSizePerMsg,
        maxInflightMsgs: 16,
        ...s.raft,
      },
      storage,
      stateMachine: sm,
      transport: { send: (msgs) => s.network.send(msgs) },
      clock,
      tickMs: s.tickMs,
      snapshotInterval: s.snapshotInterval,
      requestTimeoutMs: 1000,
      onEvent: (e) => s.onEvent(id, e),
    });
    if (s.breakRule) breakRule(s.breakRule, node.raw);
    const existing = this.members.get(id);
    // A member that lost its state must come back under a new id: reusing
    // an id with other storage lets a blank member vote as the old one.
    if (existing && existing.storage !== storage) throw new Error(`member ${id} cannot start over different storage: ids are never reused`);
    // Every write takes a little time (an fsync), so a crash loses what was in flight.
    if (typeof storage.latency === 'number' && storage.latency === 0) storage.latency = s.diskLatency;
    const m: SimMember<I, O, D> = {
      id,
      storage,
      storageGeneration: existing && existing.storage === storage ? existing.storageGeneration : ++this.storageGenerations,
      disk,
      sm,
      node,
      clockRate: rate,
      up: true,
      removed: false,
    };
    this.members.set(id, m);
    s.onProcess?.(m);
    s.network.attach(id, (msg) => m.node.receive([msg]));
    node.start();
    return m;
  }

  /** Stops a member's process at once; writes still in flight are lost. */
  crash(m: SimMember<I, O, D>): void {
    m.up = false;
    m.storage.crash();
    m.node.halt();
    this.s.network.detach(m.id);
  }

  /** Restarts a crashed member from its durable state, unless it was restarted, removed or replaced meanwhile. */
  restart(m: SimMember<I, O, D>): void {
    // A stale handle (the member was restarted meanwhile, e.g. by healing) must not start a second process.
    if (this.members.get(m.id) !== m || m.up || m.removed) return;
    this.start(m.id, m.storage, m.disk, m.clockRate);
  }

  /** Stops every process (the end of a run). */
  haltAll(): void {
    for (const m of this.members.values()) m.node.halt();
  }

  /** The current incarnation of member `id`, up or not. */
  get(id: number): SimMember<I, O, D> | undefined {
    return this.members.get(id);
  }

  /** Every member's current incarnation, up or not, in id order of first start. */
  all(): SimMember<I, O, D>[] {
    return [...this.members.values()];
  }

  /** Members whose process runs. */
  live(): SimMember<I, O, D>[] {
    return this.all().filter((m) => m.up);
  }

  /** The live leader of the highest term, if any. */
  leader(): SimMember<I, O, D> | undefined {
    let best: SimMember<I, O, D> | undefined;
    for (const m of this.live()) {
      const r = m.node.raw.raft;
      if (r.state === StateRole.Leader && (!best || r.term > best.node.raw.raft.term)) best = m;
    }
    return best;
  }

  /** The voters as the leader (or else some live member) sees them. */
  voters(): number[] {
    const l = this.leader() ?? this.live()[0];
    return l ? l.node.raw.raft.trk.voterIds() : [];
  }
}
