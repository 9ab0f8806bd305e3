import { decodeConfChange } from '../confchange/codec.js';
import type { ConfChange } from '../confchange/types.js';
import type { RaftConfig } from '../config.js';
import { ProposalDroppedError, RaftError } from '../errors.js';
import { type RaftLogger, silentLogger } from '../logger.js';
import { RawNode, type Ready, SnapshotStatus } from '../raw-node.js';
import { usableSnapshotIndex } from '../storage.js';
import type { Status } from '../status.js';
import type { StateRole } from '../types.js';
import { type ConfState, type Entry, EntryType, type Message, NONE } from '../types.js';
import { contextKey } from '../read-only.js';
import type { AppliedEntry, Clock, NodeStateMachine, NodeStorage, NodeTransport, TimerHandle } from './interfaces.js';
import { type ProposalId, decodeProposal, encodeProposal, proposalKey } from './proposal-codec.js';

/** Why a request to a {@link RaftNode} failed. */
/**
 * - `timeout`, `aborted`: the outcome of a proposal is unknown (it may still be applied).
 * - `stopped`, `too-many-requests`: refused before proposing; definitely not applied.
 * - `failed`: the node stopped serving after an unrecoverable error.
 * - `transfer-failed`: leadership did not move.
 */
export type RaftNodeErrorCode = 'timeout' | 'aborted' | 'stopped' | 'too-many-requests' | 'failed' | 'transfer-failed';

/** A request to a {@link RaftNode} failed. For proposals, `timeout` means the outcome is unknown. */
export class RaftNodeError extends RaftError {
  /** Why the request failed, and so whether it may have been applied (see {@link RaftNodeErrorCode}). */
  readonly reason: RaftNodeErrorCode;
  /** A failure for `reason`; its `code` is `RaftNode.<reason>`. */
  constructor(reason: RaftNodeErrorCode, message: string) {
    super(`RaftNode.${reason}`, message);
    this.name = 'RaftNodeError';
    this.reason = reason;
  }
}

/** Something that happened in a {@link RaftNode}, for logs and metrics. */
export type RaftNodeEvent =
  | { type: 'role'; role: StateRole; lead: number; term: number }
  | { type: 'persisted'; entries: number; bytes: number; ms: number; sync: boolean }
  | { type: 'applied'; entries: number; index: number; ms: number }
  | { type: 'snapshot'; index: number; ms: number }
  | { type: 'snapshot-installed'; index: number }
  | { type: 'fatal'; error: Error };

/** Settings of a {@link RaftNode}. */
export interface RaftNodeOptions<R> {
  /** Raft settings: id, timing in ticks, limits (storage and applied come from the options below). */
  raft: Omit<RaftConfig, 'storage' | 'applied' | 'logger'>;
  /** The durable log and hard state; every Ready is persisted through it before anything it promises is sent. */
  storage: NodeStorage;
  /** The replicated application; it must be deterministic. */
  stateMachine: NodeStateMachine<R>;
  /** Carries messages to the other members. */
  transport: NodeTransport;
  /** Drives ticks, request timeouts and batching. */
  clock: Clock;
  /** Length of one Raft tick in milliseconds. */
  tickMs: number;
  /** Take a snapshot every this many applied entries; 0 never (except when the leader requests one). Default 10,000. */
  snapshotInterval?: number;
  /** Proposals and reads fail with `timeout` after this long. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Refuse new proposals (`too-many-requests`) while this many are pending. Default 10,000. */
  maxPendingProposals?: number;
  /** Refuse new proposals while committed is this far ahead of applied. Default 5000 (as etcd). */
  maxApplyLag?: number;
  /** Where the node and its Raft core log. Default: nowhere. */
  logger?: RaftLogger;
  /** Receives events (role changes, persistence and apply timings, snapshots, fatal errors). */
  onEvent?: (event: RaftNodeEvent) => void;
}

interface PendingProposal<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

interface ReadWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

interface ReadBatch {
  context: Uint8Array;
  waiters: ReadWaiter[];
  sentAt: number;
}

/** A point-in-time view of a {@link RaftNode}. */
export interface RaftNodeStatus extends Status {
  /** Index of the latest durable snapshot. */
  snapshotIndex: number;
  /** Proposals made here and not yet applied. */
  pendingProposals: number;
  /** The node stopped after an unrecoverable error (it serves nothing). */
  failed?: string;
}

const READ_RETRY_TICKS = 5;
/** Ticks between attempts at a snapshot the core asked for while none could be taken. */
const SNAPSHOT_RETRY_TICKS = 10;

/**
 * Runs a {@link RawNode} for real: ticks it on a clock, persists each Ready
 * through storage before acknowledging anything, sends messages through the
 * transport, applies committed entries to the state machine in order exactly
 * once, takes snapshots, and turns proposals and reads into promises.
 *
 * Requests arriving together share one Ready, so one durable write carries
 * many client writes, and concurrent linearizable reads share one ReadIndex
 * round.
 *
 * @example
 * ```ts
 * const node = new RaftNode({ raft: { id: 1, electionTick: 10, heartbeatTick: 1 },
 *   storage, stateMachine, transport, clock: systemClock, tickMs: 100 });
 * node.start();
 * transport.onMessages = (msgs) => node.receive(msgs);
 * const result = await node.propose(encode({ op: 'put', key, value }));
 * await node.read(); // then read the local state machine
 * ```
 */
export class RaftNode<R = unknown> {
  /** The Raft core it drives, for status and diagnostics; do not step or advance it directly. */
  readonly raw: RawNode;
  /** This member's id. */
  readonly id: number;
  private readonly storage: NodeStorage;
  private readonly sm: NodeStateMachine<R>;
  private readonly transport: NodeTransport;
  private readonly clock: Clock;
  private readonly logger: RaftLogger;
  private readonly opts: Required<Pick<RaftNodeOptions<R>, 'tickMs' | 'snapshotInterval' | 'requestTimeoutMs' | 'maxPendingProposals' | 'maxApplyLag'>>;
  private readonly onEvent: (event: RaftNodeEvent) => void;

  private readonly epoch: number;
  private seq = 0;
  private readonly proposals = new Map<string, PendingProposal<R>>();
  private readonly confChanges = new Map<string, PendingProposal<ConfState>>();
  private readWaiting: ReadWaiter[] = [];
  private readInFlight: ReadBatch | undefined;
  private readsAwaitingApply: Array<{ index: number; waiters: ReadWaiter[] }> = [];
  private readSeq = 0;

  private tickTimer: TimerHandle | undefined;
  private loopScheduled = false;
  private inLoop = false;
  /** Settles when the Ready loop is idle. */
  private loopDone: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Stopped abruptly (a simulated crash): in-flight work must leave no trace. */
  private halted = false;
  private failure: Error | undefined;
  private snapshotInFlight: Promise<number> | undefined;
  private snapshotIndex: number;
  /** The index last reported compactable without a snapshot (see NodeStateMachine.compactableIndex). */
  private compactableThrough: number;
  /** The core asked for a snapshot (Ready.snapshotRequested) and none was taken since. */
  private snapshotWanted = false;
  private ticksSinceSnapshotTry = 0;
  private applied: number;
  private lastRole: StateRole | undefined;
  private lastLead = NONE;
  private readonly leaderWaiters = new Set<(lead: number) => void>();

  /**
   * Builds a node from durable state: the log and hard state in storage, and
   * the state machine's applied index (entries up to it are not applied
   * again). Nothing runs until {@link start}.
   */
  constructor(options: RaftNodeOptions<R>) {
    this.storage = options.storage;
    this.sm = options.stateMachine;
    this.transport = options.transport;
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.onEvent = options.onEvent ?? (() => {});
    this.opts = {
      tickMs: options.tickMs,
      snapshotInterval: options.snapshotInterval ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxPendingProposals: options.maxPendingProposals ?? 10_000,
      maxApplyLag: options.maxApplyLag ?? 5000,
    };
    this.applied = this.sm.appliedIndex();
    this.raw = new RawNode({ ...options.raft, storage: this.storage, applied: this.applied, logger: this.logger });
    this.id = this.raw.id;
    this.snapshotIndex = usableSnapshotIndex(this.storage);
    this.compactableThrough = this.storage.firstIndex() - 1;
    // A restart must never reuse the ids of proposals still in the log.
    this.epoch = Math.floor(this.clock.now()) % 0x100000000;
  }

  /** Starts ticking. Call once. */
  start(): void {
    if (this.tickTimer !== undefined || this.stopped) return;
    const tick = (): void => {
      if (this.stopped || this.failure) return;
      try {
        this.raw.tick();
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.retryStuckRead();
      this.retryWantedSnapshot();
      this.schedule();
      this.tickTimer = this.clock.setTimer(this.opts.tickMs, tick);
    };
    this.tickTimer = this.clock.setTimer(this.opts.tickMs, tick);
    this.schedule();
  }

  /**
   * Stops ticking, fails every pending request with `stopped`, and waits
   * for the Ready being handled (if any) to finish, so storage and the state
   * machine are left consistent.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
      this.failAll(new RaftNodeError('aborted', 'the node stopped before the request completed; its outcome is unknown'));
    }
    await this.loopDone;
  }

  /**
   * Stops at once without waiting for in-flight work, as a crash would
   * (simulations use it; a process that is killed behaves the same).
   */
  halt(): void {
    // Whatever is in flight is abandoned: no further write, apply or send.
    this.halted = true;
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
    this.failAll(new RaftNodeError('aborted', 'the node stopped before the request completed; its outcome is unknown'));
  }

  /** Index of the latest durable snapshot. */
  get latestSnapshotIndex(): number {
    return this.snapshotIndex;
  }

  /** True once the node stopped after an unrecoverable error. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Feeds messages received from peers. */
  receive(messages: readonly Message[]): void {
    if (this.stopped || this.failure) return;
    try {
      for (const m of messages) this.raw.step(m);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.schedule();
  }

  /** Reports that messages to `peer` could not be delivered. */
  reportUnreachable(peer: number): void {
    if (this.stopped) return;
    this.raw.reportUnreachable(peer);
    this.schedule();
  }

  /**
   * Reports how streaming a snapshot to `peer` ended. A transport that moves
   * snapshot bytes itself calls it once per Snap message it was given:
   * until then the leader sends that follower nothing more.
   *
   * @example
   * ```ts
   * // in the transport, for a message of type Snap:
   * streamSnapshot(peer, storage.snapshot()).then(
   *   () => node.reportSnapshot(peer, true),
   *   () => node.reportSnapshot(peer, false), // the leader probes again and retries
   * );
   * ```
   */
  reportSnapshot(peer: number, ok: boolean): void {
    if (this.stopped) return;
    this.raw.reportSnapshot(peer, ok ? SnapshotStatus.Finish : SnapshotStatus.Failure);
    this.schedule();
  }

  /** Starts an election now. */
  campaign(): void {
    this.raw.campaign();
    this.schedule();
  }

  /**
   * Replicates `payload` and resolves with the state machine's result for it
   * once applied on this member. Rejects with `ProposalDroppedError` when it
   * was not accepted (then it was not applied), or `RaftNodeError` `timeout`
   * when the outcome is unknown.
   */
  propose(payload: Uint8Array): Promise<R> {
    const refused = this.admissionError();
    if (refused) return Promise.reject(refused);
    const id = this.nextId();
    return new Promise<R>((resolve, reject) => {
      const key = proposalKey(id);
      const timer = this.clock.setTimer(this.opts.requestTimeoutMs, () => {
        if (this.proposals.delete(key)) reject(timeoutError('proposal'));
      });
      this.proposals.set(key, { resolve, reject, timer });
      try {
        this.raw.propose(encodeProposal(id, payload));
      } catch (e) {
        this.proposals.delete(key);
        this.clock.clearTimer(timer);
        reject(e as Error);
        return;
      }
      this.schedule();
    });
  }

  /**
   * Proposes a membership change and resolves with the resulting membership
   * once it is applied on this member. Only one change may be pending: a
   * second one is refused with `ProposalDroppedError` (`conf-change-pending`).
   *
   * @example
   * ```ts
   * // Member 4 was started with empty storage. Add it as a learner first...
   * await node.proposeConfChange({ transition: ConfChangeTransition.Auto,
   *   changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }], context: new Uint8Array() });
   * // ...and once it has caught up (status().progress), promote it.
   * const cs = await node.proposeConfChange({ transition: ConfChangeTransition.Auto,
   *   changes: [{ type: ConfChangeType.AddVoter, nodeId: 4 }], context: new Uint8Array() });
   * // cs.voters now includes 4
   * ```
   */
  proposeConfChange(cc: ConfChange): Promise<ConfState> {
    const refused = this.admissionError();
    if (refused) return Promise.reject(refused);
    const id = this.nextId();
    return new Promise<ConfState>((resolve, reject) => {
      const key = proposalKey(id);
      const timer = this.clock.setTimer(this.opts.requestTimeoutMs, () => {
        if (this.confChanges.delete(key)) reject(timeoutError('configuration change'));
      });
      this.confChanges.set(key, { resolve, reject, timer });
      try {
        this.raw.proposeConfChange({ ...cc, context: encodeProposal(id, cc.context) });
      } catch (e) {
        this.confChanges.delete(key);
        this.clock.clearTimer(timer);
        reject(e as Error);
        return;
      }
      this.schedule();
    });
  }

  /**
   * Waits until a linearizable read of the local state machine is safe: the
   * leader confirmed its leadership after this call and this member applied
   * everything committed before it (ReadIndex, thesis §6.4). Concurrent reads
   * share one confirmation round.
   *
   * @example
   * ```ts
   * await node.read();
   * // Every write acknowledged before read() was called is visible now.
   * const value = stateMachine.get(key);
   * ```
   */
  read(): Promise<void> {
    if (this.failure) return Promise.reject(this.failedError());
    if (this.stopped) return Promise.reject(new RaftNodeError('stopped', 'the node is shutting down'));
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadWaiter = { resolve, reject, timer: undefined };
      waiter.timer = this.clock.setTimer(this.opts.requestTimeoutMs, () => {
        if (this.removeReadWaiter(waiter)) reject(timeoutError('read'));
      });
      this.readWaiting.push(waiter);
      this.issueRead();
    });
  }

  /**
   * Hands leadership to `to` and resolves once this member sees `to` lead,
   * or rejects when the transfer is refused, aborted or times out.
   *
   * @example
   * ```ts
   * // Before taking the leader's machine down for maintenance:
   * await leader.transferLeadership(3); // rejects with RaftNodeError 'transfer-failed' if 3 does not take over
   * ```
   */
  transferLeadership(to: number, timeoutMs = this.opts.requestTimeoutMs): Promise<void> {
    if (this.raw.raft.lead === to) return Promise.resolve();
    try {
      this.raw.transferLeader(to);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.schedule();
    return new Promise<void>((resolve, reject) => {
      const watch = (lead: number): void => {
        if (lead !== to) return;
        this.leaderWaiters.delete(watch);
        this.clock.clearTimer(timer);
        resolve();
      };
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.leaderWaiters.delete(watch);
        const outcome = this.raw.status().lastTransfer;
        reject(new RaftNodeError('transfer-failed', `leadership did not move to member ${to} within ${timeoutMs} ms (${outcome?.outcome ?? 'no transfer recorded'})`));
      });
      this.leaderWaiters.add(watch);
    });
  }

  /** This member's status. */
  status(): RaftNodeStatus {
    const s: RaftNodeStatus = {
      ...this.raw.status(),
      applied: this.applied,
      snapshotIndex: this.snapshotIndex,
      pendingProposals: this.proposals.size + this.confChanges.size,
    };
    if (this.failure) s.failed = this.failure.message;
    return s;
  }

  /** Resolves once some leader is known (or after `timeoutMs`, with the leader or 0). */
  waitForLeader(timeoutMs = this.opts.requestTimeoutMs): Promise<number> {
    if (this.raw.raft.lead !== NONE) return Promise.resolve(this.raw.raft.lead);
    return new Promise<number>((resolve) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.leaderWaiters.delete(watch);
        resolve(this.raw.raft.lead);
      });
      const watch = (lead: number): void => {
        if (lead === NONE) return;
        this.leaderWaiters.delete(watch);
        this.clock.clearTimer(timer);
        resolve(lead);
      };
      this.leaderWaiters.add(watch);
    });
  }

  // ------------------------------------------------------------------ internals

  private admissionError(): Error | undefined {
    if (this.failure) return this.failedError();
    if (this.stopped) return new RaftNodeError('stopped', 'the node is shutting down');
    if (this.proposals.size + this.confChanges.size >= this.opts.maxPendingProposals) {
      return new RaftNodeError('too-many-requests', `too many requests: ${this.opts.maxPendingProposals} proposals are pending on this member`);
    }
    const lag = this.raw.raft.raftLog.committed - this.applied;
    if (lag > this.opts.maxApplyLag) {
      return new RaftNodeError('too-many-requests', `too many requests: applying is ${lag} entries behind the commit index`);
    }
    return undefined;
  }

  private failedError(): RaftNodeError {
    return new RaftNodeError('failed', `the node stopped serving after an unrecoverable error: ${this.failure!.message}`);
  }

  private nextId(): ProposalId {
    this.seq = (this.seq + 1) % 0x100000000;
    return { member: this.id, epoch: this.epoch, seq: this.seq };
  }

  private schedule(): void {
    if (this.loopScheduled || this.inLoop || this.stopped) return;
    this.loopScheduled = true;
    this.clock.defer(() => {
      this.loopScheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.inLoop || this.failure) return;
    this.inLoop = true;
    let done!: () => void;
    this.loopDone = new Promise<void>((resolve) => (done = resolve));
    try {
      while (!this.failure && !this.halted && this.raw.hasReady()) {
        await this.handleReady(this.raw.ready());
      }
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.inLoop = false;
      done();
    }
    if (!this.stopped && !this.failure && this.raw.hasReady()) this.schedule();
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.noteRole();
    if (rd.messages.length > 0) this.transport.send(rd.messages);
    const persisting = rd.entries.length > 0 || rd.hardState || rd.snapshot || rd.compactTo !== undefined ? this.persist(rd) : undefined;
    // Committed entries that earlier Readys already persisted are applied
    // while this one persists (storage may share one write between them);
    // ones this Ready brings, or any after a snapshot, wait for it.
    const applyNow = rd.committedEntries.length > 0 && !rd.snapshot && !persistsAny(rd, rd.committedEntries) ? this.apply(rd.committedEntries) : undefined;
    await Promise.all([persisting, applyNow]);
    if (this.halted) return;
    if (rd.messagesAfterPersist.length > 0) this.transport.send(rd.messagesAfterPersist);
    if (rd.snapshot) {
      await this.sm.restoreSnapshot(rd.snapshot);
      if (this.halted) return;
      this.applied = rd.snapshot.metadata.index;
      this.snapshotIndex = Math.max(this.snapshotIndex, rd.snapshot.metadata.index);
      this.onEvent({ type: 'snapshot-installed', index: rd.snapshot.metadata.index });
    }
    if (rd.committedEntries.length > 0 && !applyNow) await this.apply(rd.committedEntries);
    if (this.halted) return;
    for (const rs of rd.readStates) this.onReadState(rs.requestContext, rs.index);
    this.releaseReads();
    this.raw.advance();
    if (rd.snapshotRequested) {
      // Asked once per need: remember it until a snapshot is taken, so a
      // failed or premature attempt is retried from the tick.
      this.snapshotWanted = true;
      void this.startSnapshot();
    } else {
      this.maybeCompact();
    }
  }

  private retryWantedSnapshot(): void {
    if (!this.snapshotWanted || this.snapshotInFlight) return;
    if (++this.ticksSinceSnapshotTry < SNAPSHOT_RETRY_TICKS) return;
    this.ticksSinceSnapshotTry = 0;
    void this.startSnapshot();
  }

  /**
   * Every `snapshotInterval` applied entries: reports the log compactable
   * through the state machine's durable state when it keeps that state with
   * the log, else takes a snapshot (which makes the log compactable).
   */
  private maybeCompact(): void {
    const interval = this.opts.snapshotInterval;
    if (interval <= 0) return;
    if (this.sm.compactableIndex) {
      if (this.applied - this.compactableThrough < interval) return;
      const index = Math.min(this.sm.compactableIndex(), this.applied);
      if (index <= this.compactableThrough) return;
      this.compactableThrough = index;
      this.raw.reportCompactable(index);
      this.schedule();
    } else if (this.applied - this.snapshotIndex >= interval) {
      void this.startSnapshot();
    }
  }

  private async persist(rd: Ready): Promise<void> {
    const started = this.clock.now();
    await this.storage.persist({
      entries: rd.entries,
      ...(rd.hardState ? { hardState: rd.hardState } : {}),
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
      ...(rd.compactTo !== undefined ? { compactTo: rd.compactTo } : {}),
      mustSync: rd.mustSync,
    });
    if (this.halted) return;
    let bytes = 0;
    for (const e of rd.entries) bytes += e.data.length;
    this.onEvent({ type: 'persisted', entries: rd.entries.length, bytes, ms: this.clock.now() - started, sync: rd.mustSync });
  }

  private async apply(entries: Entry[]): Promise<void> {
    const started = this.clock.now();
    const batch: AppliedEntry[] = new Array(entries.length);
    const owners: Array<string | undefined> = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.data);
        const { id, payload } = decodeProposal(cc.context);
        const unwrapped: ConfChange = { ...cc, context: payload };
        const confState = this.raw.applyConfChange(unwrapped);
        batch[i] = { index: e.index, term: e.term, kind: 'conf-change', payload: new Uint8Array(), confChange: unwrapped, confState };
        if (id) batch[i]!.proposal = id;
        owners[i] = id && id.member === this.id ? `c${proposalKey(id)}` : undefined;
      } else if (e.data.length === 0) {
        batch[i] = { index: e.index, term: e.term, kind: 'noop', payload: e.data };
      } else {
        const { id, payload } = decodeProposal(e.data);
        batch[i] = { index: e.index, term: e.term, kind: 'normal', payload };
        if (id) batch[i]!.proposal = id;
        owners[i] = id && id.member === this.id ? proposalKey(id) : undefined;
      }
    }
    if (this.halted) return;
    const results = await this.sm.apply(batch);
    if (this.halted) return;
    this.applied = entries[entries.length - 1]!.index;
    for (let i = 0; i < batch.length; i++) {
      const owner = owners[i];
      if (owner === undefined) continue;
      if (owner.startsWith('c')) {
        const p = this.confChanges.get(owner.slice(1));
        if (p) {
          this.confChanges.delete(owner.slice(1));
          this.clock.clearTimer(p.timer);
          p.resolve(batch[i]!.confState!);
        }
      } else {
        const p = this.proposals.get(owner);
        if (p) {
          this.proposals.delete(owner);
          this.clock.clearTimer(p.timer);
          p.resolve(results[i] as R);
        }
      }
    }
    this.onEvent({ type: 'applied', entries: entries.length, index: this.applied, ms: this.clock.now() - started });
  }

  /**
   * Takes a snapshot of the state machine at the applied index now (or joins
   * the one being taken) and resolves with its index once it is durable.
   * The log is then compacted behind it, keeping `logTailAfterSnapshot`
   * entries.
   *
   * @example
   * ```ts
   * const index = await node.takeSnapshot();
   * // storage.snapshot() now returns a snapshot at `index` (or a later one)
   * ```
   */
  takeSnapshot(): Promise<number> {
    if (this.failure) return Promise.reject(this.failedError());
    return this.startSnapshot() ?? Promise.resolve(this.snapshotIndex);
  }

  private startSnapshot(): Promise<number> | undefined {
    if (this.snapshotInFlight) return this.snapshotInFlight;
    if (this.applied <= this.snapshotIndex) return undefined;
    const index = this.applied;
    const term = this.raw.raft.raftLog.termOrZero(index);
    const confState = this.raw.raft.trk.confState();
    const started = this.clock.now();
    const p = this.sm.createSnapshot({ index, term, confState }).then(
      () => {
        this.snapshotInFlight = undefined;
        if (this.halted) return index;
        this.snapshotIndex = Math.max(this.snapshotIndex, index);
        this.snapshotWanted = false;
        if (!this.stopped && !this.failure) {
          this.raw.reportSnapshotTaken(index);
          this.schedule();
        }
        this.onEvent({ type: 'snapshot', index, ms: this.clock.now() - started });
        return index;
      },
      (e: unknown) => {
        this.snapshotInFlight = undefined;
        this.logger.error('snapshot failed; will retry', { index, error: (e as Error).message });
        throw e;
      },
    );
    // Periodic snapshots are retried later; nobody awaits this one.
    p.catch(() => {});
    this.snapshotInFlight = p;
    return p;
  }

  private noteRole(): void {
    const r = this.raw.raft;
    if (r.state !== this.lastRole || r.lead !== this.lastLead) {
      this.lastRole = r.state;
      this.onEvent({ type: 'role', role: r.state, lead: r.lead, term: r.term });
    }
    if (r.lead !== this.lastLead) {
      this.lastLead = r.lead;
      for (const w of [...this.leaderWaiters]) w(r.lead);
    }
  }

  private issueRead(): void {
    if (this.readInFlight || this.readWaiting.length === 0 || this.stopped) return;
    const waiters = this.readWaiting;
    this.readWaiting = [];
    const context = new Uint8Array(12);
    const view = new DataView(context.buffer);
    view.setUint32(0, this.epoch);
    view.setFloat64(4, ++this.readSeq);
    try {
      this.raw.readIndex(context);
    } catch (e) {
      for (const w of waiters) {
        this.clock.clearTimer(w.timer);
        w.reject(e instanceof ProposalDroppedError ? e : (e as Error));
      }
      return;
    }
    this.readInFlight = { context, waiters, sentAt: this.clock.now() };
    this.schedule();
  }

  private retryStuckRead(): void {
    const batch = this.readInFlight;
    if (!batch || this.clock.now() - batch.sentAt < READ_RETRY_TICKS * this.opts.tickMs) return;
    // The request or its answer was lost (leader change, dropped message): ask again.
    this.readInFlight = undefined;
    this.readWaiting = batch.waiters.concat(this.readWaiting);
    this.issueRead();
  }

  private onReadState(context: Uint8Array, index: number): void {
    const batch = this.readInFlight;
    if (!batch || contextKey(batch.context) !== contextKey(context)) return;
    this.readInFlight = undefined;
    this.readsAwaitingApply.push({ index, waiters: batch.waiters });
    this.issueRead();
  }

  private releaseReads(): void {
    if (this.readsAwaitingApply.length === 0) return;
    const still: Array<{ index: number; waiters: ReadWaiter[] }> = [];
    for (const r of this.readsAwaitingApply) {
      if (r.index > this.applied) {
        still.push(r);
        continue;
      }
      for (const w of r.waiters) {
        this.clock.clearTimer(w.timer);
        w.resolve();
      }
    }
    this.readsAwaitingApply = still;
  }

  private removeReadWaiter(w: ReadWaiter): boolean {
    const drop = (list: ReadWaiter[]): boolean => {
      const i = list.indexOf(w);
      if (i < 0) return false;
      list.splice(i, 1);
      return true;
    };
    if (drop(this.readWaiting)) return true;
    if (this.readInFlight && drop(this.readInFlight.waiters)) return true;
    return this.readsAwaitingApply.some((r) => drop(r.waiters));
  }

  private fail(error: Error): void {
    this.failure = error;
    this.logger.error('raft node failed; it stops serving', { error: error.message });
    if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
    this.failAll(this.failedError());
    this.onEvent({ type: 'fatal', error });
  }

  private failAll(error: Error): void {
    for (const p of this.proposals.values()) {
      this.clock.clearTimer(p.timer);
      p.reject(error);
    }
    this.proposals.clear();
    for (const p of this.confChanges.values()) {
      this.clock.clearTimer(p.timer);
      p.reject(error);
    }
    this.confChanges.clear();
    const waiters = [...this.readWaiting, ...(this.readInFlight?.waiters ?? []), ...this.readsAwaitingApply.flatMap((r) => r.waiters)];
    this.readWaiting = [];
    this.readInFlight = undefined;
    this.readsAwaitingApply = [];
    for (const w of waiters) {
      this.clock.clearTimer(w.timer);
      w.reject(error);
    }
  }
}

function timeoutError(what: string): RaftNodeError {
  return new RaftNodeError('timeout', `request timed out: the ${what} did not complete in time (its outcome is unknown)`);
}

/** Whether the Ready writes (or overwrites) the log at any index of `entries`. */
function persistsAny(rd: Ready, entries: readonly Entry[]): boolean {
  const first = rd.entries[0];
  return first !== undefined && entries[entries.length - 1]!.index >= first.index;
}
