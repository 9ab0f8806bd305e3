import { type RaftNodeEvent, StateRole } from '@raftkit/core';
import { MemoryNodeStorage, VirtualClock, flushMicrotasks } from '@raftkit/core/testing';
import { checkLinearizability } from '../linearizability/check.js';
import type { Operation } from '../linearizability/history.js';
import type { SimApplication } from './application.js';
import { ClientWorkload } from './clients.js';
import { SimCluster, type SimMember } from './cluster.js';
import { FaultCounts } from './fault-counts.js';
import { FaultSchedule } from './faults.js';
import { observeCore } from './core-observer.js';
import { InvariantChecker, InvariantViolation, type ObservedMember } from './invariants.js';
import { kvApplication } from './kv-application.js';
import { type NetworkConditions, type NetworkStats, SimNetwork } from './network.js';
import { ALL_FAULTS, type FaultKind, type ResolvedSimulationOptions, SIM_DEFAULTS, type SimulationOptions } from './options.js';
import { replayCommand } from './replay.js';
import { Rng } from './rng.js';
import { SimTrace } from './trace.js';

export { ALL_FAULTS, type FaultKind, type SimulationOptions } from './options.js';
export { replayCommand } from './replay.js';

/** Counters of a run. */
export interface SimulationStats {
  /** Virtual time at the end of the run, ms: the fault phase plus the time healing, the checks and the final reads took. */
  virtualMs: number;
  /** Client operations in the history: every attempt of every client, the liveness probe and the final reads. */
  operations: number;
  /** Operations whose client saw a result. */
  ok: number;
  /** Operations known not to have taken effect. */
  failed: number;
  /** Operations whose outcome the client never learned: writes that timed out or whose member crashed under them (a read that fails is `failed`). */
  unknown: number;
  /** Leaders elected: each (term, member) that became leader counts once. */
  elections: number;
  /** The highest term any member reached. */
  maxTerm: number;
  /** The highest commit index of any member at the end. */
  commitIndex: number;
  /** Snapshots members installed from a leader (not the ones they took themselves). */
  snapshotsInstalled: number;
  /** How often each fault kind acted (scheduled faults that found nothing to act on are not counted). */
  faults: Record<string, number>;
  /** The same per variant, `kind:variant`: partition shapes, membership actions, transfer outcomes... */
  faultVariants: Record<string, number>;
  /** What the simulated network did with the members' messages. */
  messages: NetworkStats;
  /** How many times the safety invariants were checked: once after every step of the virtual clock. */
  invariantChecks: number;
}

/** The outcome of a run. */
export interface SimulationResult {
  /** The seed the run derived from, as given in its options. */
  seed: number;
  /** True when every check passed; false when `violation` says what failed. */
  ok: boolean;
  /** What went wrong, if anything: a safety property, linearizability, liveness or convergence. */
  violation?: { kind: string; message: string };
  /** Counters of the run, for reports; they do not affect `ok`. */
  stats: SimulationStats;
  /** The readable event trace, when requested (always filled for failing runs). */
  trace: string[];
  /** The client history the linearizability check judged (every attempt of every client, the probe and the final reads). */
  history: Array<Operation<unknown, unknown>>;
  /** The one-line command that replays this run. */
  replay: string;
}

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
  /** The seed of the run, from its options: every random choice derives from it. */
  readonly seed: number;
  /**
   * The run's virtual clock, shared by every member, the network and the
   * clients. Time only moves when {@link run} steps it, so `clock.now()` is
   * the virtual time of the run in ms (0 at the start).
   */
  readonly clock = new VirtualClock();
  private readonly rng: Rng;
  private readonly network: SimNetwork;
  private readonly checker = new InvariantChecker();
  private readonly app: SimApplication<I, O, D>;
  private readonly cluster: SimCluster<I, O, D>;
  private readonly faults: FaultSchedule<I, O, D>;
  private readonly clients: ClientWorkload<I, O, D>;
  private readonly trace: SimTrace;
  private readonly opts: ResolvedSimulationOptions<I, O, D>;
  /** The options as given (for the replay command: only what differs from the defaults). */
  private readonly given: SimulationOptions<I, O, D>;
  private readonly faultCounts = new FaultCounts();
  private readonly snapshotInterval: number;
  private readonly onDemandSnapshots: boolean;
  private readonly logTail: number;
  private readonly maxSizePerMsg: number;
  private elections = 0;
  private snapshotsInstalled = 0;
  private readonly lastLeader = new Map<number, number>();
  /** Latency of an ordinary durable write: a short, variable fsync. */
  private readonly diskLatency = (): number => 0.05 + this.diskRng.exponential(0.3);
  private readonly diskRng: Rng;
  private violation: InvariantViolation | undefined;

  constructor(options: SimulationOptions<I, O, D>) {
    this.seed = options.seed;
    this.rng = new Rng(options.seed);
    const faultRng = this.rng.fork();
    const clientRng = this.rng.fork();
    this.diskRng = this.rng.fork();
    const faults = options.faults ?? ALL_FAULTS;
    // Drawn even when the size is given, so that every later choice of the
    // seed is the same whatever the options: a run with --members N replays
    // the run of the same seed that happened to draw N.
    const drawnMembers = this.rng.chance(0.5) ? 3 : 5;
    this.given = options;
    this.opts = {
      seed: options.seed,
      members: options.members ?? drawnMembers,
      faults,
      durationMs: options.durationMs ?? SIM_DEFAULTS.durationMs,
      clients: options.clients ?? SIM_DEFAULTS.clients,
      tickMs: options.tickMs ?? SIM_DEFAULTS.tickMs,
      livenessMs: options.livenessMs ?? SIM_DEFAULTS.livenessMs,
      breakRule: options.breakRule,
      trace: options.trace,
      faultEveryMs: options.faultEveryMs ?? SIM_DEFAULTS.faultEveryMs,
      raft: options.raft,
      network: options.network,
    };
    this.app = options.app ?? (kvApplication() as unknown as SimApplication<I, O, D>);
    this.trace = new SimTrace(this.clock);
    this.network = new SimNetwork(this.clock, this.rng.fork(), this.opts.trace === 'messages' ? (m) => this.trace.message(m) : undefined);
    this.network.onSnapshotOutcome = (from, to, delivered) => {
      const m = this.cluster.get(from);
      if (m?.up) m.node.reportSnapshot(to, delivered);
    };
    const has = (f: FaultKind) => this.opts.faults.includes(f);
    this.snapshotInterval = has('snapshot') ? this.rng.int(20, 200) : 0;
    this.logTail = has('snapshot') ? this.rng.int(2, 50) : 5000;
    // Half the runs compact without snapshots and build them only for a follower that needs one.
    this.onDemandSnapshots = has('snapshot') && this.rng.chance(0.5);
    // Batching by size: half the runs send up to 4 KiB of entries per
    // append, half one entry per message (so a follower can hold part of
    // what a leader sends, as the Figure 8 scenario needs).
    this.maxSizePerMsg = this.rng.chance(0.5) ? 1 : 4096;
    this.network.conditions = this.baseConditions();
    this.cluster = new SimCluster<I, O, D>({
      clock: this.clock,
      rng: this.rng,
      network: this.network,
      app: this.app,
      tickMs: this.opts.tickMs,
      skew: has('skew'),
      snapshotInterval: this.snapshotInterval,
      logTail: this.logTail,
      maxSizePerMsg: this.maxSizePerMsg,
      onDemandSnapshots: this.onDemandSnapshots,
      ...(this.opts.raft ? { raft: this.opts.raft } : {}),
      ...(this.opts.breakRule ? { breakRule: this.opts.breakRule } : {}),
      diskLatency: this.diskLatency,
      onApplied: (id, index, digest) => this.checker.recordApplied(id, index, digest),
      onEvent: (id, e) => this.onMemberEvent(id, e),
      counts: this.faultCounts,
      onProcess: (m) => this.watch(m),
    });
    this.faults = new FaultSchedule<I, O, D>({
      clock: this.clock,
      rng: faultRng,
      cluster: this.cluster,
      network: this.network,
      app: this.app,
      trace: this.trace,
      counts: this.faultCounts,
      faults: this.opts.faults,
      durationMs: this.opts.durationMs,
      faultEveryMs: this.opts.faultEveryMs,
      diskLatency: this.diskLatency,
      firstNewMemberId: this.opts.members + 1,
    });
    this.clients = new ClientWorkload<I, O, D>({
      clock: this.clock,
      rng: clientRng,
      cluster: this.cluster,
      app: this.app,
      trace: this.trace,
      staleFollowerReads: this.opts.breakRule === 'stale-follower-reads',
    });
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
      // A heavy tail: about one message in a hundred takes a detour of tens
      // of milliseconds, and a few per run several hundred (beyond an election).
      tailRate: this.has('delay') ? 0.005 + this.rng.float() * 0.02 : 0,
      tailScaleMs: 10 + this.rng.float() * 20,
      tailShape: 1.1 + this.rng.float() * 0.4,
      lossRate: this.has('loss') ? this.rng.float() * 0.08 : 0,
      duplicateRate: this.has('duplicate') ? this.rng.float() * 0.05 : 0,
    };
  }

  /** Runs the simulation to its end and reports. */
  async run(): Promise<SimulationResult> {
    const ids = Array.from({ length: this.opts.members }, (_, i) => i + 1);
    for (const id of ids) this.cluster.start(id, MemoryNodeStorage.founding(ids, [], this.clock), this.app.initialDisk());
    this.trace.add(
      `start: ${ids.length} voters, faults [${this.opts.faults.join(',')}], snapshot every ${this.snapshotInterval || 'never'}${this.onDemandSnapshots ? ' (compaction only; snapshots on demand)' : ''}, tail ${this.logTail}, ${this.opts.raft?.maxSizePerMsg ?? this.maxSizePerMsg} bytes per append`,
    );
    const clientsDone = this.clients.start(this.opts.clients);
    this.faults.schedule();
    let kind = 'safety';
    try {
      await this.runUntil(this.opts.durationMs);
      kind = 'liveness';
      this.faults.healAll();
      this.clients.stop();
      await this.runUntil(this.clock.now() + 1, () => false);
      await this.checkLiveness();
      kind = 'convergence';
      await this.checkConvergence();
      // Clients still retrying must finish before the final reads, which
      // must see every write that can still take effect.
      await this.settle(clientsDone, 30_000);
      kind = 'liveness';
      await this.readEverything();
      kind = 'linearizability';
      this.checkHistory();
    } catch (e) {
      this.violation = e instanceof InvariantViolation ? e : new InvariantViolation(kind, (e as Error).stack ?? String(e));
    } finally {
      this.cluster.haltAll();
    }
    const v = this.violation;
    if (v) this.trace.add(`VIOLATION ${v.message}`);
    // Copies: the halted members' abandoned requests still settle after the
    // run (and would add lines), and the result must be what the run was.
    const result: SimulationResult = {
      seed: this.seed,
      ok: !v,
      stats: this.stats(),
      trace: v || this.opts.trace ? [...this.trace.lines] : [],
      history: [...this.clients.history] as Array<Operation<unknown, unknown>>,
      replay: replayCommand(this.given as SimulationOptions<unknown, unknown, unknown>),
    };
    if (v) result.violation = { kind: v.property, message: v.message };
    return result;
  }

  // -------------------------------------------------------------------- members

  /** Feeds a new process's appends and commit decisions to the checker as they happen, and checks the log it starts from. */
  private watch(m: SimMember<I, O, D>): void {
    const raft = m.node.raw.raft;
    this.checker.memberStarted(m.id, raft);
    observeCore(raft, {
      onAppend: (entries, prevTerm) => this.checker.entriesAppended(m.id, entries, prevTerm),
      onCommit: (decision) => this.checker.commitDecided(decision, (id) => this.cluster.get(id)?.storage),
    });
  }

  private onMemberEvent(id: number, e: RaftNodeEvent): void {
    if (e.type === 'role') this.onRole(id, e.role, e.lead, e.term);
    else if (e.type === 'snapshot-installed') {
      this.snapshotsInstalled++;
      if (this.has('snapshot')) this.faultCounts.count('snapshot', 'installed');
      this.trace.add(`member ${id} installed snapshot at ${e.index}`);
    } else if (e.type === 'snapshot') {
      if (this.has('snapshot')) this.faultCounts.count('snapshot', 'taken');
    } else if (e.type === 'fatal') this.trace.add(`member ${id} FATAL ${e.error.message}`);
  }

  private onRole(id: number, role: StateRole, lead: number, term: number): void {
    if (role === StateRole.Leader && this.lastLeader.get(term) !== id) {
      this.elections++;
      this.lastLeader.set(term, id);
      this.faults.onNewLeader(id);
    }
    this.trace.add(`member ${id} is ${role} in term ${term}${lead ? ` (leader ${lead})` : ''}`);
  }

  // ------------------------------------------------------------------- checking

  /** Steps the clock to `until` (or until `stop` holds), checking invariants after every step. */
  private async runUntil(until: number, stop?: () => boolean): Promise<boolean> {
    for (;;) {
      await flushMicrotasks(16);
      this.checkStep();
      if (stop?.()) return true;
      const next = this.clock.peek();
      if (next === undefined || next > until) break;
      this.clock.step();
    }
    return false;
  }

  private observed(): ObservedMember[] {
    return this.cluster.live().map((m) => ({
      id: m.id,
      raft: m.node.raw.raft,
      applied: m.sm.appliedIndex(),
      snapshotIndex: m.node.latestSnapshotIndex,
      durable: m.storage.initialState().hardState,
      storageGeneration: m.storageGeneration,
      compactsWithoutSnapshots: this.onDemandSnapshots,
    }));
  }

  private checkStep(): void {
    this.faults.afterStep();
    for (const m of this.cluster.live()) {
      const f = m.node.failed;
      if (f) throw new InvariantViolation('member failure', `member ${m.id} stopped on an error: ${f.message}`);
    }
    this.checker.check(this.observed());
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
    const served = await this.runUntil(deadline, () => this.cluster.leader() !== undefined);
    if (!served) throw new InvariantViolation('liveness', `no leader within ${this.opts.livenessMs} ms after the faults healed`);
    const probe = this.app.probe();
    // Retry like a client until a write and a read complete, within the bound.
    // The probe is a client too: its operations go into the history.
    let wrote = false;
    let read = false;
    while (this.clock.now() < deadline && !(wrote && read)) {
      const leader = this.cluster.leader();
      if (!leader) {
        await this.runUntil(this.clock.now() + 20);
        continue;
      }
      const attempt = this.clients.attempt('probe', leader, wrote ? probe.read : probe.write, { note: ' (liveness probe)' });
      const ok = (await this.settle(attempt, Math.max(1, deadline - this.clock.now())))?.status === 'ok';
      if (ok && !wrote) wrote = true;
      else if (ok) read = true;
      else await this.runUntil(this.clock.now() + 20);
    }
    if (!(wrote && read)) throw new InvariantViolation('liveness', `no write and read completed within ${this.opts.livenessMs} ms after the faults healed`);
    this.trace.add('liveness: a write and a read completed after healing');
  }

  /**
   * Every acknowledged write is durable at the end: once converged, the
   * application's final reads are made through every member, by the
   * linearizable read path, and join the history for the final check.
   */
  private async readEverything(): Promise<void> {
    const inputs = this.app.finalReads?.() ?? [];
    for (const m of this.convergenceMembers()) {
      for (const input of inputs) {
        const deadline = this.clock.now() + this.opts.livenessMs;
        let ok = false;
        while (!ok && this.clock.now() < deadline) {
          const attempt = this.clients.attempt('final', m, input, { note: ' (final read)' });
          ok = (await this.settle(attempt, Math.max(1, deadline - this.clock.now())))?.status === 'ok';
          if (!ok) await this.runUntil(this.clock.now() + 20);
        }
        if (!ok) throw new InvariantViolation('liveness', `member ${m.id} served no final read of ${JSON.stringify(input)} within ${this.opts.livenessMs} ms`);
      }
    }
    this.trace.add(`final reads: ${inputs.length} through each of ${this.convergenceMembers().length} members`);
  }

  private convergenceMembers(): SimMember<I, O, D>[] {
    const leader = this.cluster.leader();
    const members = this.cluster.voters().concat(leader?.node.raw.raft.trk.learnerIds() ?? []);
    return this.cluster.live().filter((m) => !m.removed && members.includes(m.id));
  }

  /**
   * Once the faults stop, every member still in the configuration must
   * catch up: apply everything the leader committed, hold the leader's
   * whole log, and reach the same state; and a joint configuration must
   * have been left.
   */
  private async checkConvergence(): Promise<void> {
    const converged = (): boolean => {
      const leader = this.cluster.leader();
      if (!leader) return false;
      const log = leader.node.raw.raft.raftLog;
      const last = log.lastIndex();
      // A joint configuration entered with auto-leave must have been left, whoever leads now.
      if (log.committed < last || leader.node.raw.raft.trk.config.voters.isJoint) return false;
      return this.convergenceMembers().every((m) => m.sm.appliedIndex() >= last && m.node.raw.raft.raftLog.lastIndex() === last);
    };
    if (!(await this.runUntil(this.clock.now() + 5000, converged))) {
      const leader = this.cluster.leader();
      if (leader?.node.raw.raft.trk.config.voters.isJoint) {
        throw new InvariantViolation('convergence', `leader ${leader.id} is still in the joint configuration ${leader.node.raw.raft.trk.voterIds().join(',')} after healing`);
      }
      const states = this.convergenceMembers()
        .map((m) => `${m.id}: applied ${m.sm.appliedIndex()}, last ${m.node.raw.raft.raftLog.lastIndex()}, commit ${m.node.raw.raft.raftLog.committed}`)
        .join('; ');
      throw new InvariantViolation('convergence', `members did not replicate and apply everything after healing (${states})`);
    }
    const views = this.convergenceMembers().map((m) => ({ id: m.id, raft: m.node.raw.raft }));
    this.checker.checkLogMatching(views);
    this.checker.checkIdenticalLogs(views);
    const prints = new Map<string, number[]>();
    for (const m of this.convergenceMembers()) {
      const fp = m.sm.fingerprint();
      prints.set(fp, [...(prints.get(fp) ?? []), m.id]);
    }
    if (prints.size > 1) {
      throw new InvariantViolation('convergence', `members hold different states at the same applied index: ${[...prints.values()].map((ids) => ids.join(',')).join(' vs ')}`);
    }
  }

  private checkHistory(): void {
    // A step budget only (the checker's default), never a wall-clock limit:
    // a seed must get the same verdict on every machine, however loaded.
    const result = checkLinearizability(this.app.model, this.clients.history);
    if (result.ok) return;
    if (result.outcome === 'timeout') throw new InvariantViolation('linearizability', `the check could not decide: ${result.explanation}`);
    throw new InvariantViolation('linearizability', result.explanation);
  }

  // ----------------------------------------------------------------- reporting

  private stats(): SimulationStats {
    let maxTerm = 0;
    let commit = 0;
    for (const m of this.cluster.all()) {
      maxTerm = Math.max(maxTerm, m.node.raw.raft.term);
      commit = Math.max(commit, m.node.raw.raft.raftLog.committed);
    }
    const history = this.clients.history;
    const count = (s: string) => history.filter((o) => o.status === s).length;
    const n = this.network.stats;
    // The network's faults act message by message: count what their draws did.
    const faults = { ...this.faultCounts.byKind };
    const ambient: Array<[FaultKind, number]> = [
      ['delay', n.delayed],
      ['loss', n.dropped],
      ['duplicate', n.duplicated],
    ];
    for (const [kind, count] of ambient) if (count > 0) faults[kind] = count;
    return {
      virtualMs: this.clock.now(),
      operations: history.length,
      ok: count('ok'),
      failed: count('failed'),
      unknown: count('unknown'),
      elections: this.elections,
      maxTerm,
      commitIndex: commit,
      snapshotsInstalled: this.snapshotsInstalled,
      faults,
      faultVariants: { ...this.faultCounts.byVariant },
      messages: { ...n },
      invariantChecks: this.checker.checks,
    };
  }
}

/** Runs one simulation. */
export function runSimulation<I = unknown, O = unknown, D = unknown>(options: SimulationOptions<I, O, D>): Promise<SimulationResult> {
  return new Simulation(options).run();
}
