import { encodeConfChange } from './confchange/codec.js';
import type { ConfChange } from './confchange/types.js';
import type { RaftConfig } from './config.js';
import { ProposalDroppedError, RaftUsageError } from './errors.js';
import { Raft } from './raft.js';
import { type Status, buildStatus } from './status.js';
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  NONE,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateRole,
  hardStateEqual,
  isEmptyHardState,
  message,
} from './types.js';
import { entriesEncodingSize, isLocalMessage, isResponseMessage, payloadsSize } from './util.js';

/**
 * Everything the application must do after some input, in this order (the
 * Ready contract):
 *
 * 1. Send {@link Ready.messages} — at once, even before persisting.
 * 2. Persist durably, in one atomic write if possible: {@link Ready.snapshot}
 *    (if any), then {@link Ready.entries} (replacing any stored entries from
 *    the first new index on), then {@link Ready.hardState} (if any). With
 *    {@link Ready.mustSync}, the write must reach the disk (fsync).
 * 3. Send {@link Ready.messagesAfterPersist}: votes and append
 *    acknowledgements are promises about durable state.
 * 4. Apply {@link Ready.snapshot} to the state machine, then
 *    {@link Ready.committedEntries} in order, calling
 *    {@link RawNode.applyConfChange} for entries of type ConfChange; answer
 *    {@link Ready.readStates} once applied reaches their index.
 * 5. Call {@link RawNode.advance}.
 *
 * Sending (1) before persisting is what lets a leader replicate while its
 * own disk write is in flight (thesis §10.2.1): the leader counts its own
 * copy only after `advance()`. Likewise a candidate's vote requests leave
 * while its new term and self-vote are written, and it counts its own vote,
 * which it needs to win, only after `advance()`: no member leads a term it
 * has not durably entered.
 */
export interface Ready {
  /** Set when the leader or this member's role changed. Never persisted. */
  softState?: SoftState;
  /** Set when term, vote or commit changed: persist it. */
  hardState?: HardState;
  /** Entries to append to stable storage. */
  entries: Entry[];
  /** A snapshot from the leader to install (persist, then restore the state machine from it). */
  snapshot?: Snapshot;
  /** Entries committed by the cluster, to apply in order after persisting. */
  committedEntries: Entry[];
  /** Messages that may be sent before persisting. */
  messages: Message[];
  /** Messages that must wait until this Ready's state is durable. */
  messagesAfterPersist: Message[];
  /** Linearizable read points: serve each read once applied >= its index. */
  readStates: ReadState[];
  /** True if the write must be synced to disk (term, vote or entries changed). */
  mustSync: boolean;
  /**
   * Stored entries up to and including this index may now be discarded
   * (a durable snapshot or the application's durable state covers them).
   * Set only when there is something new to discard; see
   * {@link RawNode.reportSnapshotTaken} and {@link RawNode.reportCompactable}.
   */
  compactTo?: number;
  /**
   * The leader needs a snapshot newer than the latest stored one (it must
   * name a member added since, or the log was compacted past it): take one
   * at the applied index and report it with {@link RawNode.reportSnapshotTaken}.
   */
  snapshotRequested?: boolean;
}

/** How sending a snapshot to a follower ended. */
export enum SnapshotStatus {
  /** The snapshot was sent; the leader probes the follower from the entry after it. */
  Finish = 'finish',
  /** Sending failed; the leader forgets it and probes the follower again, sending another snapshot if still needed. */
  Failure = 'failure',
}

/**
 * The public, synchronous API of one Raft member (the shape etcd's RawNode
 * made standard). It does no I/O and reads no clock: call {@link tick} on a
 * timer, feed received messages to {@link step}, and loop
 * `if (hasReady()) { const rd = ready(); ...; advance(); }`.
 *
 * @example
 * ```ts
 * const storage = MemoryStorage.withMembers([1]);
 * const node = new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1 });
 * node.campaign();
 * while (node.hasReady()) {
 *   const rd = node.ready();
 *   if (rd.snapshot) storage.applySnapshot(rd.snapshot);
 *   storage.append(rd.entries);
 *   if (rd.hardState) storage.setHardState(rd.hardState);
 *   for (const e of rd.committedEntries) apply(e);
 *   node.advance();
 * }
 * ```
 */
export class RawNode {
  /** The state machine underneath; exposed for tests and diagnostics. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced. */
  private pending: Ready | undefined;
  /** Self-addressed messages of the pending Ready, stepped once it is durable. */
  private stepsOnAdvance: Message[] = [];
  /** The highest compaction index handed out. */
  private compactedTo = 0;
  /** A snapshot request was handed out and not yet answered. */
  private snapshotRequestSent = false;

  /**
   * Starts a member from its storage (see {@link Raft}'s constructor). A
   * restart passes the applied index in `config.applied`, so entries already
   * applied are not handed out again.
   * @throws RaftUsageError if the configuration is invalid
   */
  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** This member's id. */
  get id(): number {
    return this.raft.id;
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with a pre-vote round if PreVote is on). */
  campaign(): void {
    this.raft.step(message({ type: MessageType.Hup, from: this.raft.id }));
  }

  /**
   * Proposes `data` to be appended to the log. On a follower the proposal
   * is forwarded to the leader. The entry is committed when it appears in
   * `Ready.committedEntries`; nothing is returned now because a forwarded
   * proposal's index is not known here.
   *
   * @throws ProposalDroppedError when it cannot be taken (no leader, a
   *   transfer in progress, the uncommitted-size cap reached...); it was not
   *   appended.
   */
  propose(data: Uint8Array): void {
    this.raft.step(
      message({ type: MessageType.Prop, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data }] }),
    );
  }

  /**
   * Proposes several entries at once; they are appended together or not at
   * all.
   * @throws ProposalDroppedError as {@link propose}
   */
  proposeBatch(datas: readonly Uint8Array[]): void {
    if (datas.length === 0) return;
    const entries = datas.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }));
    this.raft.step(message({ type: MessageType.Prop, from: this.raft.id, entries }));
  }

  /**
   * Proposes a membership change. It takes effect on each member when that
   * member applies the entry (see {@link applyConfChange}). Only one change
   * may be pending at a time.
   *
   * @example
   * ```ts
   * node.proposeConfChange({ transition: ConfChangeTransition.Auto,
   *   changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }], context: new Uint8Array() });
   * ```
   * @throws ProposalDroppedError with reason `conf-change-pending` when
   *   another change is not applied yet, or as {@link propose}.
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      message({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }],
      }),
    );
  }

  /**
   * Applies a committed membership change; call it when applying an entry
   * of type ConfChange, and persist the returned membership with the
   * applied index. Changes take effect here, when applied, not when
   * appended (as in etcd; the old and new configurations overlap, thesis
   * §4.1), and the member restarts with the membership it last saved.
   *
   * @example
   * ```ts
   * for (const e of rd.committedEntries) {
   *   if (e.type === EntryType.ConfChange) {
   *     const cs = node.applyConfChange(decodeConfChange(e.data));
   *     storage.setConfState(cs); // in the same write as the applied index
   *   } else if (e.data.length > 0) {
   *     stateMachine.apply(e);
   *   }
   * }
   * ```
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message received from another member. Messages that are stale,
   * from unknown members or no longer relevant are ignored (that is normal
   * in Raft); forwarded proposals the leader cannot take are dropped.
   *
   * @throws RaftUsageError for a local message type, which must not come from the network.
   */
  step(m: Message): void {
    if (isLocalMessage(m.type)) {
      throw new RaftUsageError(`cannot step a local message (${MessageType[m.type]}) received from the network`);
    }
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) {
      // A response from a member not in our configuration.
      return;
    }
    const problem = malformation(m);
    if (problem !== undefined) {
      this.raft.config.logger.warn('dropping malformed message', { from: m.from, type: MessageType[m.type], problem });
      return;
    }
    try {
      this.raft.step(m);
    } catch (e) {
      // A forwarded proposal or read the leader cannot take: the member that
      // forwarded it will time out and its client retry.
      if (e instanceof ProposalDroppedError) return;
      throw e;
    }
  }

  /**
   * Requests a linearizable read. When it is safe, a {@link ReadState} with
   * the same `context` appears in a Ready; serve the read once the applied
   * index reaches `ReadState.index`. Contexts must be unique among pending
   * reads (a duplicate is answered once).
   *
   * @example
   * ```ts
   * node.readIndex(requestId);
   * // later, in a Ready: serve each read once applied >= rs.index
   * for (const rs of rd.readStates) pendingReads.get(key(rs.requestContext))?.serveAt(rs.index);
   * ```
   * @throws ProposalDroppedError when no leader is known
   */
  readIndex(context: Uint8Array): void {
    this.raft.step(
      message({ type: MessageType.ReadIndex, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: context }] }),
    );
  }

  /**
   * Asks the leader to hand leadership to `transferee` (thesis §3.10). The
   * leader stops taking proposals, brings the target up to date and tells it
   * to campaign at once; the transfer is abandoned after an election
   * timeout (see `status().lastTransfer`).
   *
   * @example
   * ```ts
   * leader.transferLeader(3);
   * ```
   * @throws RaftUsageError if the target is unknown, a learner or this leader itself
   * @throws ProposalDroppedError if no leader is known
   */
  transferLeader(transferee: number): void {
    const r = this.raft;
    if (r.state === StateRole.Leader) {
      const pr = r.trk.progress.get(transferee);
      if (transferee === r.id) throw new RaftUsageError(`member ${transferee} is already the leader`);
      if (!pr) throw new RaftUsageError(`cannot transfer leadership to ${transferee}: not a member of the cluster`);
      if (pr.isLearner) throw new RaftUsageError(`cannot transfer leadership to ${transferee}: it is a learner, not a voter`);
    } else if (r.lead === NONE) {
      throw new ProposalDroppedError('no-leader', `no leader is known at term ${r.term} to transfer leadership from`);
    }
    r.step(message({ type: MessageType.TransferLeader, from: transferee }));
  }

  /**
   * Reports that the application durably stored a snapshot of its state at
   * applied index `index` (storage.snapshot() now returns it). The core then
   * schedules log compaction through {@link Ready.compactTo}, keeping
   * `logTailAfterSnapshot` entries and whatever followers installing a
   * snapshot still need.
   *
   * @example
   * ```ts
   * const snap = storage.createSnapshot(applied, confState, stateMachine.serialize());
   * node.reportSnapshotTaken(snap.metadata.index);
   * ```
   */
  reportSnapshotTaken(index: number): void {
    const r = this.raft;
    if (index > r.raftLog.applied) {
      throw new RaftUsageError(`snapshot index ${index} is beyond the applied index ${r.raftLog.applied}`);
    }
    r.compactableIndex = Math.max(r.compactableIndex, index);
    r.snapshotRequested = false;
  }

  /**
   * Reports that the application's own state through applied index `index`
   * is durable where a crash cannot keep a compaction of the log while
   * losing that state (it lives in the same atomic store as the log, say),
   * so the log may be compacted through it without a snapshot. Snapshots are
   * then built only on demand: when a follower needs entries that are gone,
   * storage's `snapshot()` throws SnapshotTemporarilyUnavailableError and
   * {@link Ready.snapshotRequested} asks for one. This is etcd's design.
   *
   * @example
   * ```ts
   * // every N applied entries, with the state machine's data in the log's LMDB environment:
   * node.reportCompactable(stateMachine.appliedIndex());
   * ```
   */
  reportCompactable(index: number): void {
    const r = this.raft;
    if (index > r.raftLog.applied) {
      throw new RaftUsageError(`compactable index ${index} is beyond the applied index ${r.raftLog.applied}`);
    }
    r.compactableIndex = Math.max(r.compactableIndex, index);
  }

  /** Tells the leader that the last message to `id` could not be delivered. */
  reportUnreachable(id: number): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id }));
  }

  /**
   * Tells the leader how sending a snapshot to `id` ended. Call it once for
   * every message of type Snap handed out: the leader sends that follower
   * nothing while its snapshot is in flight, and on failure probes it again
   * (sending another snapshot if it still needs one).
   *
   * @example
   * ```ts
   * for (const m of rd.messages) {
   *   if (m.type !== MessageType.Snap) { transport.send(m); continue; }
   *   transport.sendSnapshot(m).then(
   *     () => node.reportSnapshot(m.to, SnapshotStatus.Finish),
   *     () => node.reportSnapshot(m.to, SnapshotStatus.Failure),
   *   );
   * }
   * ```
   */
  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.raft.step(message({ type: MessageType.SnapStatus, from: id, reject: status === SnapshotStatus.Failure }));
  }

  /** True when {@link ready} has something to do. */
  hasReady(): boolean {
    if (this.pending) return false;
    const r = this.raft;
    if (r.hasPendingBroadcast()) return true;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.raftLog.nextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.raftLog.hasNextUnstableEntries() || r.raftLog.hasNextCommittedEntries()) return true;
    if (r.snapshotRequested && !this.snapshotRequestSent) return true;
    if (r.compactionIndex() > this.compactedTo) return true;
    return r.readStates.length > 0;
  }

  /**
   * Collects what the application must do now (see {@link Ready} for the
   * contract) and hands it out. Call {@link advance} when done; until then
   * `hasReady()` is false, but `tick`, `step` and `propose` may be called.
   */
  ready(): Ready {
    if (this.pending) throw new RaftUsageError('ready() called again before advance()');
    const r = this.raft;
    r.flushBroadcast();
    const rd: Ready = {
      entries: r.raftLog.nextUnstableEntries(),
      committedEntries: r.raftLog.nextCommittedEntries(),
      messages: r.msgs,
      messagesAfterPersist: [],
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) {
      rd.hardState = hs;
      rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
      this.prevHardState = hs;
    }
    const snap = r.raftLog.nextUnstableSnapshot();
    if (snap) {
      rd.snapshot = snap;
      rd.mustSync = true;
    }
    if (rd.entries.length > 0) rd.mustSync = true;
    const compactTo = r.compactionIndex();
    // A snapshot in this Ready replaces the log through its index: there is
    // nothing left to discard up to there.
    if (compactTo > this.compactedTo && !(snap && compactTo <= snap.metadata.index)) {
      rd.compactTo = compactTo;
      this.compactedTo = compactTo;
    }
    if (r.snapshotRequested && !this.snapshotRequestSent) {
      rd.snapshotRequested = true;
      this.snapshotRequestSent = true;
    } else if (!r.snapshotRequested) {
      this.snapshotRequestSent = false;
    }
    for (const m of r.msgsAfterAppend) {
      if (m.to === r.id) this.stepsOnAdvance.push(m);
      else rd.messagesAfterPersist.push(m);
    }
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.readStates = [];
    r.raftLog.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      const last = rd.committedEntries[rd.committedEntries.length - 1]!;
      r.raftLog.acceptApplying(last.index, entriesEncodingSize(rd.committedEntries));
    }
    this.pending = rd;
    return rd;
  }

  /**
   * Reports that the last Ready was handled: its state is durable, its
   * messages sent and its committed entries applied.
   */
  advance(): void {
    const rd = this.pending;
    if (!rd) throw new RaftUsageError('advance() called without a pending ready()');
    this.pending = undefined;
    const r = this.raft;
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = [];
    // Our own votes and append acknowledgements count only now that they are durable.
    for (const m of steps) r.step(m);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
    }
    if (rd.snapshot) r.appliedSnapshot(rd.snapshot.metadata.index);
    if (rd.committedEntries.length > 0) {
      const last = rd.committedEntries[rd.committedEntries.length - 1]!;
      r.appliedTo(last.index, entriesEncodingSize(rd.committedEntries));
      r.reduceUncommittedSize(payloadsSize(rd.committedEntries));
    }
  }

  /** A snapshot of this member's state for monitoring and admin tools. */
  status(): Status {
    return buildStatus(this.raft);
  }
}

/** Why a message from the network cannot be trusted, or undefined if it looks well-formed. */
function malformation(m: Message): string | undefined {
  if (!Number.isSafeInteger(m.from) || m.from <= 0) return `sender id ${m.from} is not a positive integer`;
  if (m.type === MessageType.App) {
    let prevTerm = m.logTerm;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      if (e.index !== m.index + 1 + i) return `entry ${i} has index ${e.index}, expected ${m.index + 1 + i}`;
      if (e.term < prevTerm || e.term > m.term) return `entry ${e.index} has term ${e.term} out of order (term ${m.term})`;
      prevTerm = e.term;
    }
    if (m.commit < 0) return `commit ${m.commit} is negative`;
  }
  if (m.type === MessageType.Snap && !m.snapshot) return 'snapshot message without snapshot metadata';
  return undefined;
}
