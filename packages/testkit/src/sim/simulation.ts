import {
  ConfChangeTransition,
  ConfChangeType,
  type Message,
  ProposalDroppedError,
  RaftNode,
  RaftNodeError,
  StateRole,
} from '@raftkit/core';
import { MemoryNodeStorage, VirtualClock, flushMicrotasks } from '@raftkit/core/testing';
import { checkLinearizability } from '../linearizability/check.js';
import type { Operation } from '../linearizability/history.js';
import type { SimApplication, SimStateMachine } from './application.js';
import { type BreakableRule, breakRule } from './break-rules.js';
import { InvariantChecker, InvariantViolation, type ObservedMember } from './invariants.js';
import { kvApplication } from './kv-application.js';
import { type NetworkConditions, PERFECT_NETWORK, SimNetwork } from './network.js';
import { Rng } from './rng.js';
import { SkewedClock } from './skewed-clock.js';

/** The kinds of fault a run can inject. */
export type FaultKind =
  | 'delay'
  | 'loss'
  | 'duplicate'
  | 'partition'
  | 'crash'
  | 'slow-disk'
  | 'membership'
  | 'snapshot'
  | 'transfer'
  | 'skew'
  | 'leader-churn';

/** Every fault kind. */
export const ALL_FAULTS: readonly FaultKind[] = [
  'delay',
  'loss',
  'duplicate',
  'partition',
  'crash',
  'slow-disk',
  'membership',
  'snapshot',
  'transfer',
  'skew',
  'leader-churn',
];

/** Settings of one simulated run. Everything random derives from `seed`. */
export interface SimulationOptions<I, O, D> {
  seed: number;
  /** Founding voters. Default: 3 or 5, chosen by the seed. */
  members?: number;
  /** Fault kinds to schedule. Default: all. */
  faults?: readonly FaultKind[];
  /** Virtual duration of the fault and workload phase. Default 3000 ms. */
  durationMs?: number;
  /** Concurrent clients. Default 4. */
  clients?: number;
  /** The replicated application. Default: {@link kvApplication}. */
  app?: SimApplication<I, O, D>;
  /** Length of a tick. Default 10 ms (election timeout 100-200 ms, heartbeat 20 ms). */
  tickMs?: number;
  /** Bound for the cluster to serve requests again once faults stop. Default 5000 ms. */
  livenessMs?: number;
  /** Break a Raft rule on purpose, to show the checks catch it (testing the tester). */
  breakRule?: BreakableRule;
  /** Mean virtual time between injected faults. Default 250 ms. */
  faultEveryMs?: number;
  /** Network conditions to force (otherwise drawn from the seed within the enabled fault kinds). */
  network?: Partial<NetworkConditions>;
  /** Raft settings to override (message size, inflight window...). */
  raft?: { maxSizePerMsg?: number; maxInflightMsgs?: number; preVote?: boolean; checkQuorum?: boolean };
  /** Record a readable trace; `'messages'` includes every delivered message. */
  trace?: boolean | 'messages';
}

/** Counters of a run. */
export interface SimulationStats {
  virtualMs: number;
  operations: number;
  ok: number;
  failed: number;
  unknown: number;
  elections: number;
  maxTerm: number;
  commitIndex: number;
  snapshotsInstalled: number;
  faults: Record<string, number>;
  messages: { sent: number; delivered: number; lost: number; duplicated: number; blocked: number };
  invariantChecks: number;
}

/** The outcome of a run. */
export interface SimulationResult {
  seed: number;
  ok: boolean;
  /** What went wrong, if anything: a safety property, linearizability, liveness or convergence. */
  violation?: { kind: string; message: string };
  stats: SimulationStats;
  /** The readable event trace, when requested (always filled for failing runs). */
  trace: string[];
  /** The one-line command that replays this run. */
  replay: string;
}

interface SimMember<I, O, D> {
  id: number;
  storage: MemoryNodeStorage;
  storageGeneration: number;
  disk: D;
  sm: SimStateMachine<I, O>;
  node: RaftNode<O>;
  clockRate: number;
  up: boolean;
  /** Removed from the configuration (its process stopped). */
  removed: boolean;
}

const DEFAULT_DURATION = 3000;

/**
 * A whole cluster in one process on virtual time: real RaftNode drivers
 * (and so the real core) over simulated storage that loses unpersisted
 * writes on a crash, and a simulated network that delays, reorders, drops,
 * duplicates and partitions. Faults are scheduled randomly from the seed;
 * clients run a workload and record a history. After every step the safety
 * invariants are checked; at the end, linearizability, liveness after
 * healing, and convergence.
 */
export class Simulation<I, O, D> {
  readonly seed: number;
  readonly clock = new VirtualClock();
  private readonly rng: Rng;
  private readonly faultRng: Rng;
  private readonly clientRng: Rng;
  private readonly network: SimNetwork;
  private readonly checker = new InvariantChecker();
  private readonly app: SimApplication<I, O, D>;
  private readonly members = new Map<number, SimMember<I, O, D>>();
  private readonly history: Array<Operation<I, O>> = [];
  private readonly traceLines: string[] = [];
  private readonly opts: Required<Omit<SimulationOptions<I, O, D>, 'app' | 'breakRule' | 'trace' | 'raft' | 'network'>> &
    Pick<SimulationOptions<I, O, D>, 'breakRule' | 'trace' | 'raft' | 'network'>;
  private readonly faultCounts: Record<string, number> = {};
  private readonly snapshotInterval: number;
  private readonly onDemandSnapshots: boolean;
  private readonly logTail: number;
  private nextMemberId: number;
  private clientsRunning = true;
  private elections = 0;
  private snapshotsInstalled = 0;
  private lastLeader = new Map<number, string>();
  private readonly leaderCommits = new Map<string, number>();
  /** Latency of an ordinary durable write: a short, variable fsync. */
  private readonly diskLatency = (): number => 0.05 + this.diskRng.exponential(0.3);
  private readonly diskRng: Rng;
  private storageGenerations = 0;
  private violation: InvariantViolation | undefined;

  constructor(options: SimulationOptions<I, O, D>) {
    this.seed = options.seed;
    this.rng = new Rng(options.seed);
    this.faultRng = this.rng.fork();
    this.clientRng = this.rng.fork();
    this.diskRng = this.rng.fork();
    const faults = options.faults ?? ALL_FAULTS;
    this.opts = {
      seed: options.seed,
      members: options.members ?? (this.rng.chance(0.5) ? 3 : 5),
      faults,
      durationMs: options.durationMs ?? DEFAULT_DURATION,
      clients: options.clients ?? 4,
      tickMs: options.tickMs ?? 10,
      livenessMs: options.livenessMs ?? 5000,
      breakRule: options.breakRule,
      trace: options.trace,
      faultEveryMs: options.faultEveryMs ?? 250,
      raft: options.raft,
      network: options.network,
    };
    this.app = options.app ?? (kvApplication() as unknown as SimApplication<I, O, D>);
    this.network = new SimNetwork(this.clock, this.rng.fork(), this.opts.trace === 'messages' ? (m) => this.traceMessage(m) : undefined);
    this.network.onSnapshotOutcome = (from, to, delivered) => {
      const m = this.members.get(from);
      if (m?.up) m.node.reportSnapshot(to, delivered);
    };
    const has = (f: FaultKind) => this.opts.faults.includes(f);
    this.snapshotInterval = has('snapshot') ? this.rng.int(20, 200) : 0;
    this.logTail = has('snapshot') ? this.rng.int(2, 50) : 5000;
    // Half the runs compact without snapshots and build them only for a follower that needs one.
    this.onDemandSnapshots = has('snapshot') && this.rng.chance(0.5);
    this.network.conditions = this.baseConditions();
    this.nextMemberId = this.opts.members + 1;
  }

  private has(f: FaultKind): boolean {
    return this.opts.faults.includes(f);
  }

  /** The network conditions of the run when no extra fault is active. */
  private baseConditions(): NetworkConditions {
    return {
      ...this.drawConditions(),
      ...this.opts.network,
    };
  }

  private drawConditions(): NetworkConditions {
    return {
      baseDelayMs: 0.5 + this.rng.float(),
      jitterMeanMs: this.has('delay') ? this.rng.float() * 3 : 0,
      longDelayRate: this.has('delay') ? 0.02 : 0,
      longDelayMs: 60,
      lossRate: this.has('loss') ? this.rng.float() * 0.08 : 0,
      duplicateRate: this.has('duplicate') ? this.rng.float() * 0.05 : 0,
    };
  }

  /** Runs the simulation to its end and reports. */
  async run(): Promise<SimulationResult> {
    const ids = Array.from({ length: this.opts.members }, (_, i) => i + 1);
    for (const id of ids) this.startMember(id, MemoryNodeStorage.founding(ids, [], this.clock), this.app.initialDisk());
    this.trace(`start: ${ids.length} voters, faults [${this.opts.faults.join(',')}], snapshot every ${this.snapshotInterval || 'never'}${this.onDemandSnapshots ? ' (compaction only; snapshots on demand)' : ''}, tail ${this.logTail}`);
    const clients = Array.from({ length: this.opts.clients }, (_, c) => this.client(c + 1));
    this.scheduleFaults();
    let kind = 'safety';
    try {
      await this.runUntil(this.opts.durationMs);
      kind = 'liveness';
      this.healEverything();
      this.clientsRunning = false;
      await this.runUntil(this.clock.now() + 1, () => false);
      await this.checkLiveness();
      kind = 'convergence';
      await this.checkConvergence();
      kind = 'linearizability';
      this.clientsRunning = false;
      await this.settle(Promise.all(clients), 30_000);
      this.checkHistory();
    } catch (e) {
      this.violation = e instanceof InvariantViolation ? e : new InvariantViolation(kind, (e as Error).stack ?? String(e));
    } finally {
      for (const m of this.members.values()) m.node.halt();
    }
    const v = this.violation;
    const result: SimulationResult = {
      seed: this.seed,
      ok: !v,
      stats: this.stats(),
      trace: v || this.opts.trace ? this.traceLines : [],
      replay: replayCommand(this.seed, this.opts.faults),
    };
    if (v) {
      result.violation = { kind: v.property, message: v.message };
      this.trace(`VIOLATION ${v.message}`);
    }
    return result;
  }

  // -------------------------------------------------------------------- members

  private startMember(id: number, storage: MemoryNodeStorage, disk: D, clockRate?: number): SimMember<I, O, D> {
    const rate = clockRate ?? (this.has('skew') ? 0.85 + this.rng.float() * 0.35 : 1);
    const clock = new SkewedClock(this.clock, rate);
    const sm = this.app.createStateMachine(disk, storage, { onDemandSnapshots: this.onDemandSnapshots });
    const raftRng = this.rng.fork();
    sm.onApplied = (index, digest) => this.checker.recordApplied(id, index, digest);
    const node = new RaftNode<O>({
      raft: {
        id,
        electionTick: 10,
        heartbeatTick: 2,
        random: () => raftRng.float(),
        logTailAfterSnapshot: this.logTail,
        maxSizePerMsg: 4096,
        maxInflightMsgs: 16,
        ...this.opts.raft,
      },
      storage,
      stateMachine: sm,
      transport: { send: (msgs) => this.network.send(msgs) },
      clock,
      tickMs: this.opts.tickMs,
      snapshotInterval: this.snapshotInterval,
      requestTimeoutMs: 1000,
      onEvent: (e) => {
        if (e.type === 'role') this.onRole(id, e.role, e.lead, e.term);
        else if (e.type === 'snapshot-installed') {
          this.snapshotsInstalled++;
          this.trace(`member ${id} installed snapshot at ${e.index}`);
        } else if (e.type === 'fatal') this.trace(`member ${id} FATAL ${e.error.message}`);
      },
    });
    if (this.opts.breakRule) breakRule(this.opts.breakRule, node.raw);
    const existing = this.members.get(id);
    // Every write takes a little time (an fsync), so a crash loses what was in flight.
    if (typeof storage.latency === 'number' && storage.latency === 0) storage.latency = this.diskLatency;
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
    this.network.attach(id, (msg) => m.node.receive([msg]));
    node.start();
    return m;
  }

  private onRole(id: number, role: StateRole, lead: number, term: number): void {
    if (role === StateRole.Leader && this.lastLeader.get(term) !== `${id}`) {
      this.elections++;
      this.lastLeader.set(term, `${id}`);
      if (this.has('leader-churn') && this.clock.now() < this.opts.durationMs && this.faultRng.chance(0.5)) this.churn(id);
    }
    this.trace(`member ${id} is ${role} in term ${term}${lead ? ` (leader ${lead})` : ''}`);
  }

  private crash(m: SimMember<I, O, D>): void {
    m.up = false;
    m.storage.crash();
    m.node.halt();
    this.network.detach(m.id);
  }

  private restart(m: SimMember<I, O, D>): void {
    // A stale handle (the member was restarted meanwhile, e.g. by healing) must not start a second process.
    if (this.members.get(m.id) !== m || m.up || m.removed) return;
    this.startMember(m.id, m.storage, m.disk, m.clockRate);
  }

  private live(): SimMember<I, O, D>[] {
    return [...this.members.values()].filter((m) => m.up);
  }

  private leader(): SimMember<I, O, D> | undefined {
    let best: SimMember<I, O, D> | undefined;
    for (const m of this.live()) {
      const r = m.node.raw.raft;
      if (r.state === StateRole.Leader && (!best || r.term > best.node.raw.raft.term)) best = m;
    }
    return best;
  }

  private voters(): number[] {
    const l = this.leader() ?? this.live()[0];
    return l ? l.node.raw.raft.trk.voterIds() : [];
  }

  // --------------------------------------------------------------------- faults

  private scheduleFaults(): void {
    const rng = this.faultRng;
    const kinds = this.opts.faults.filter((f) => !['delay', 'loss', 'duplicate', 'skew', 'snapshot', 'leader-churn'].includes(f));
    if (kinds.length === 0) return;
    let t = 150 + rng.int(0, 200);
    while (t < this.opts.durationMs - 100) {
      const kind = rng.pick(kinds);
      const at = t;
      const duration = 50 + rng.exponential(this.opts.faultEveryMs * 1.2);
      this.clock.at(at, () => this.inject(kind, duration));
      t += 20 + rng.exponential(this.opts.faultEveryMs);
    }
  }

  private inject(kind: FaultKind, duration: number): void {
    const rng = this.faultRng;
    const live = this.live().filter((m) => !m.removed);
    this.faultCounts[kind] = (this.faultCounts[kind] ?? 0) + 1;
    const until = Math.min(this.clock.now() + duration, this.opts.durationMs);
    switch (kind) {
      case 'partition':
        return this.injectPartition(until);
      case 'crash': {
        if (live.length === 0) return;
        const leader = this.leader();
        const victim = leader && rng.chance(0.4) ? leader : rng.pick(live);
        this.trace(`fault: crash member ${victim.id} until ${until.toFixed(0)}`);
        this.crash(victim);
        this.clock.at(until, () => {
          this.trace(`fault: restart member ${victim.id}`);
          this.restart(victim);
        });
        return;
      }
      case 'slow-disk': {
        if (live.length === 0) return;
        const m = rng.pick(live);
        const mean = 5 + rng.exponential(40);
        const storage = m.storage;
        this.trace(`fault: slow disk on member ${m.id} (mean ${mean.toFixed(0)} ms) until ${until.toFixed(0)}`);
        storage.latency = () => rng.exponential(mean);
        this.clock.at(until, () => {
          storage.latency = this.diskLatency;
        });
        return;
      }
      case 'transfer': {
        const leader = this.leader();
        if (!leader) return;
        const targets = this.voters().filter((id) => id !== leader.id);
        if (targets.length === 0) return;
        const to = rng.pick(targets);
        this.trace(`fault: transfer leadership ${leader.id} -> ${to}`);
        leader.node.transferLeadership(to, 500).catch((e: Error) => this.trace(`transfer to ${to} failed: ${e.message}`));
        return;
      }
      case 'membership':
        return this.injectMembershipChange();
      default:
        return;
    }
  }

  /**
   * Cuts a new leader off moments after its election, before it can
   * replicate much of its own term: it crashes (and restarts later) or is
   * isolated for a while. Leaders that lose their term's first entries are
   * what the paper's Figure 8 scenario is made of.
   */
  private churn(id: number): void {
    const rng = this.faultRng;
    const after = rng.float() * 15;
    const isolate = rng.chance(0.5);
    this.clock.setTimer(after, () => {
      const m = this.members.get(id);
      if (!m?.up || m.removed || this.clock.now() >= this.opts.durationMs) return;
      this.faultCounts['leader-churn'] = (this.faultCounts['leader-churn'] ?? 0) + 1;
      const back = 10 + rng.exponential(300);
      if (isolate) {
        const others = this.live().map((x) => x.id).filter((x) => x !== id);
        this.trace(`fault: isolate new leader ${id}`);
        this.network.partition([[id], others]);
        this.clock.setTimer(back, () => this.network.heal());
        return;
      }
      this.trace(`fault: crash new leader ${id}`);
      this.crash(m);
      this.clock.setTimer(back, () => {
        this.trace(`fault: restart member ${id}`);
        this.restart(m);
      });
    });
  }

  /**
   * Now and then cuts a leader off the moment its commit index moves, before
   * the messages of that step leave: the other members must cope with a
   * leader that committed something and vanished.
   */
  private cutLeaderOnCommit(): void {
    const leader = this.leader();
    if (!leader || this.clock.now() >= this.opts.durationMs) return;
    const commit = leader.node.raw.raft.raftLog.committed;
    const key = `${leader.id}@${leader.node.raw.raft.term}`;
    const before = this.leaderCommits.get(key);
    this.leaderCommits.set(key, commit);
    if (before === undefined || commit <= before || !this.faultRng.chance(0.05)) return;
    this.faultCounts['leader-churn'] = (this.faultCounts['leader-churn'] ?? 0) + 1;
    const others = this.live().map((x) => x.id).filter((x) => x !== leader.id);
    this.trace(`fault: isolate leader ${leader.id} as it commits ${commit}`);
    this.network.partition([[leader.id], others]);
    this.clock.setTimer(50 + this.faultRng.exponential(300), () => this.network.heal());
  }

  private injectPartition(until: number): void {
    const rng = this.faultRng;
    const ids = this.live().map((m) => m.id);
    if (ids.length < 2) return;
    const leader = this.leader();
    const shape = rng.pick(['isolate-leader', 'split', 'bridge', 'one-way', 'flapping'] as const);
    const apply = (): string => {
      this.network.heal();
      switch (shape) {
        case 'isolate-leader': {
          const l = leader?.id ?? rng.pick(ids);
          this.network.partition([[l], ids.filter((x) => x !== l)]);
          return `isolate ${l}`;
        }
        case 'split': {
          const shuffled = [...ids].sort(() => rng.float() - 0.5);
          const cut = rng.int(1, shuffled.length);
          this.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
          return `split ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`;
        }
        case 'bridge': {
          // The bridge member sees everyone; the two sides do not see each other.
          const bridge = rng.pick(ids);
          const rest = ids.filter((x) => x !== bridge);
          const half = Math.ceil(rest.length / 2);
          const a = rest.slice(0, half);
          const b = rest.slice(half);
          for (const x of a) for (const y of b) {
            this.network.block(x, y);
            this.network.block(y, x);
          }
          return `bridge ${bridge} between ${a.join(',')} and ${b.join(',')}`;
        }
        case 'one-way': {
          const l = leader?.id ?? rng.pick(ids);
          for (const x of ids) if (x !== l) this.network.block(x, l);
          return `one-way: ${l} cannot hear the others`;
        }
        case 'flapping': {
          const l = rng.pick(ids);
          this.network.partition([[l], ids.filter((x) => x !== l)]);
          return `flapping ${l}`;
        }
      }
    };
    this.trace(`fault: partition ${apply()} until ${until.toFixed(0)}`);
    if (shape === 'flapping') {
      let on = true;
      const flip = (): void => {
        if (this.clock.now() >= until) return;
        on = !on;
        if (on) apply();
        else this.network.heal();
        this.clock.setTimer(20 + rng.exponential(40), flip);
      };
      this.clock.setTimer(20 + rng.exponential(40), flip);
    }
    this.clock.at(until, () => {
      this.network.heal();
      this.trace('fault: partition healed');
    });
  }

  private injectMembershipChange(): void {
    const rng = this.faultRng;
    const leader = this.leader();
    if (!leader) return;
    const raft = leader.node.raw.raft;
    const voters = raft.trk.voterIds();
    const learners = raft.trk.learnerIds();
    const propose = (changes: Array<{ type: ConfChangeType; nodeId: number }>, what: string): void => {
      this.trace(`fault: membership ${what}`);
      leader.node
        .proposeConfChange({ transition: ConfChangeTransition.Auto, changes, context: new Uint8Array() })
        .then(() => this.trace(`membership ${what} applied on ${leader.id}`))
        .catch((e: Error) => this.trace(`membership ${what} not done: ${e.message}`));
    };
    if (learners.length > 0 && rng.chance(0.7) && voters.length < 5) {
      const id = rng.pick(learners);
      propose([{ type: ConfChangeType.AddVoter, nodeId: id }], `promote learner ${id}`);
    } else if (voters.length > 3 && rng.chance(0.5)) {
      const id = rng.pick(voters);
      propose([{ type: ConfChangeType.RemoveNode, nodeId: id }], `remove ${id}`);
      // Decommission the process once the removal has had time to commit.
      this.clock.setTimer(300, () => {
        const m = this.members.get(id);
        if (!m || this.voters().includes(id)) return;
        this.trace(`member ${id} decommissioned`);
        m.removed = true;
        if (m.up) this.crash(m);
      });
    } else if (voters.length + learners.length < 6) {
      // Re-add a removed member under its id with empty storage, or add a new one.
      const removed = [...this.members.values()].find((m) => m.removed);
      const id = removed && rng.chance(0.5) ? removed.id : this.nextMemberId++;
      this.startMember(id, new MemoryNodeStorage(this.clock), this.app.initialDisk());
      propose([{ type: ConfChangeType.AddLearner, nodeId: id }], `add learner ${id}`);
    }
  }

  private healEverything(): void {
    this.trace('heal: network, disks and crashed members');
    this.network.heal();
    this.network.conditions = PERFECT_NETWORK;
    for (const m of this.members.values()) {
      m.storage.latency = this.diskLatency;
      if (!m.up && !m.removed) this.restart(m);
    }
  }

  // -------------------------------------------------------------------- clients

  private async client(c: number): Promise<void> {
    const rng = this.clientRng.fork();
    let target: number | undefined;
    while (this.clientsRunning) {
      const live = this.live().filter((m) => !m.removed);
      if (live.length === 0) {
        await this.sleep(20);
        continue;
      }
      const m = (target !== undefined && live.find((x) => x.id === target)) || rng.pick(live);
      target = m.id;
      const input = this.app.nextInput(rng, c);
      const invoke = this.clock.now();
      const isRead = this.app.isRead(input);
      try {
        let output: O;
        if (isRead) {
          if (this.opts.breakRule === 'stale-follower-reads' && m.node.raw.raft.state !== StateRole.Leader) {
            output = m.sm.read(input);
          } else {
            await m.node.read();
            output = m.sm.read(input);
          }
        } else {
          output = await m.node.propose(this.app.encode(input));
        }
        this.history.push({ client: c, invoke, complete: this.clock.now(), status: 'ok', input, output });
      } catch (e) {
        target = undefined;
        const definite = e instanceof ProposalDroppedError || (e instanceof RaftNodeError && (e.reason === 'stopped' || e.reason === 'too-many-requests'));
        // A read that failed had no effect whatever happened.
        const status = isRead || definite ? 'failed' : 'unknown';
        this.history.push({ client: c, invoke, complete: this.clock.now(), status, input });
        await this.sleep(rng.int(5, 40));
      }
      await this.sleep(rng.int(0, 15));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  // ------------------------------------------------------------------- checking

  /** Steps the clock to `until` (or until `stop` holds), checking invariants after every step. */
  private async runUntil(until: number, stop?: () => boolean): Promise<boolean> {
    let steps = 0;
    for (;;) {
      await flushMicrotasks(16);
      this.checkStep(++steps);
      if (stop?.()) return true;
      const next = this.clock.peek();
      if (next === undefined || next > until) break;
      this.clock.step();
    }
    return false;
  }

  private observed(): ObservedMember[] {
    return this.live().map((m) => ({
      id: m.id,
      raft: m.node.raw.raft,
      applied: m.sm.appliedIndex(),
      snapshotIndex: m.node.latestSnapshotIndex,
      durable: m.storage.initialState().hardState,
      storageGeneration: m.storageGeneration,
    }));
  }

  private checkStep(step: number): void {
    if (this.has('leader-churn')) this.cutLeaderOnCommit();
    for (const m of this.live()) {
      const f = m.node.failed;
      if (f) throw new InvariantViolation('member failure', `member ${m.id} stopped on an error: ${f.message}`);
    }
    const observed = this.observed();
    this.checker.check(observed);
    if (step % 200 === 0) this.checker.checkLogMatching(observed);
  }

  private async settle<T>(p: Promise<T>, maxMs: number): Promise<T | undefined> {
    let done = false;
    const wrapped = p.finally(() => {
      done = true;
    });
    await this.runUntil(this.clock.now() + maxMs, () => done);
    return done ? wrapped : undefined;
  }

  private async checkLiveness(): Promise<void> {
    const deadline = this.clock.now() + this.opts.livenessMs;
    const served = await this.runUntil(deadline, () => this.leader() !== undefined);
    if (!served) throw new InvariantViolation('liveness', `no leader within ${this.opts.livenessMs} ms after the faults healed`);
    const probe = this.app.probe();
    // Retry like a client until a write and a read complete, within the bound.
    let wrote = false;
    let read = false;
    while (this.clock.now() < deadline && !(wrote && read)) {
      const leader = this.leader();
      if (!leader) {
        await this.runUntil(this.clock.now() + 20);
        continue;
      }
      // The probe is a client too: its operations go into the history.
      const invoke = this.clock.now();
      const input = wrote ? probe.read : probe.write;
      const isRead = wrote;
      const p = (isRead ? leader.node.read().then(() => leader.sm.read(input)) : leader.node.propose(this.app.encode(input))).then(
        (output) => {
          this.history.push({ client: 0, invoke, complete: this.clock.now(), status: 'ok', input, output });
          return true;
        },
        () => {
          this.history.push({ client: 0, invoke, complete: this.clock.now(), status: isRead ? 'failed' : 'unknown', input });
          return false;
        },
      );
      const ok = await this.settle(p, Math.max(1, deadline - this.clock.now()));
      if (ok && !wrote) wrote = true;
      else if (ok) read = true;
      else await this.runUntil(this.clock.now() + 20);
    }
    if (!(wrote && read)) throw new InvariantViolation('liveness', `no write and read completed within ${this.opts.livenessMs} ms after the faults healed`);
    this.trace('liveness: a write and a read completed after healing');
  }

  private async checkConvergence(): Promise<void> {
    const members = () => this.live().filter((m) => !m.removed && this.voters().concat(this.leader()?.node.raw.raft.trk.learnerIds() ?? []).includes(m.id));
    const converged = (): boolean => {
      const leader = this.leader();
      if (!leader) return false;
      const commit = leader.node.raw.raft.raftLog.committed;
      return members().every((m) => m.sm.appliedIndex() >= commit);
    };
    if (!(await this.runUntil(this.clock.now() + 5000, converged))) {
      const states = members().map((m) => `${m.id}: applied ${m.sm.appliedIndex()}`).join(', ');
      throw new InvariantViolation('convergence', `members did not apply everything committed after healing (${states})`);
    }
    const observed = this.observed();
    this.checker.checkLogMatching(observed);
    const prints = new Map<string, number[]>();
    for (const m of members()) {
      const fp = m.sm.fingerprint();
      prints.set(fp, [...(prints.get(fp) ?? []), m.id]);
    }
    if (prints.size > 1) {
      throw new InvariantViolation('convergence', `members hold different states at the same applied index: ${[...prints.values()].map((ids) => ids.join(',')).join(' vs ')}`);
    }
  }

  private checkHistory(): void {
    const result = checkLinearizability(this.app.model, this.history, { timeoutMs: 20_000 });
    if (result.ok) return;
    if (result.outcome === 'timeout') throw new InvariantViolation('linearizability', `the check could not decide: ${result.explanation}`);
    throw new InvariantViolation('linearizability', result.explanation);
  }

  // ----------------------------------------------------------------- reporting

  private trace(line: string): void {
    this.traceLines.push(`[${this.clock.now().toFixed(1).padStart(8)}] ${line}`);
  }

  private traceMessage(m: Message): void {
    this.trace(`msg ${m.from}->${m.to} ${m.type} term=${m.term} index=${m.index} logTerm=${m.logTerm} entries=${m.entries.length} commit=${m.commit}${m.reject ? ' reject' : ''}`);
  }

  private stats(): SimulationStats {
    let maxTerm = 0;
    let commit = 0;
    for (const m of this.members.values()) {
      maxTerm = Math.max(maxTerm, m.node.raw.raft.term);
      commit = Math.max(commit, m.node.raw.raft.raftLog.committed);
    }
    const count = (s: string) => this.history.filter((o) => o.status === s).length;
    const n = this.network.stats;
    return {
      virtualMs: this.clock.now(),
      operations: this.history.length,
      ok: count('ok'),
      failed: count('failed'),
      unknown: count('unknown'),
      elections: this.elections,
      maxTerm,
      commitIndex: commit,
      snapshotsInstalled: this.snapshotsInstalled,
      faults: { ...this.faultCounts },
      messages: { sent: n.sent, delivered: n.delivered, lost: n.lost, duplicated: n.duplicated, blocked: n.blocked },
      invariantChecks: this.checker.checks,
    };
  }
}

/** The command that replays the run of `seed` with these faults. */
export function replayCommand(seed: number, faults: readonly FaultKind[]): string {
  const f = faults.length === ALL_FAULTS.length ? '' : ` --faults ${faults.join(',') || 'none'}`;
  return `pnpm sim --seed ${seed}${f} --trace sim-trace-${seed}.txt`;
}

/** Runs one simulation. */
export function runSimulation<I = unknown, O = unknown, D = unknown>(options: SimulationOptions<I, O, D>): Promise<SimulationResult> {
  return new Simulation(options).run();
}
