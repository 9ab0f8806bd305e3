import { Changer, type ConfigAndProgress, restoreConfState } from './confchange/changer.js';
import { decodeConfChange } from './confchange/codec.js';
import { type ConfChange, enterJoint, isLeaveJoint } from './confchange/types.js';
import { type ResolvedRaftConfig, type RaftConfig, resolveRaftConfig } from './config.js';
import {
  CompactedError,
  ProposalDroppedError,
  RaftInvariantError,
  SnapshotTemporarilyUnavailableError,
} from './errors.js';
import { RaftLog } from './log.js';
import type { RaftLogger } from './logger.js';
import { VoteResult } from './quorum/majority.js';
import { randomInt } from './random.js';
import { ReadOnly } from './read-only.js';
import { type Progress, ProgressState } from './tracker/progress.js';
import { ProgressTracker, type TrackerConfig, describeConfig } from './tracker/tracker.js';
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
  EMPTY_BYTES,
  isEmptyHardState,
  message,
} from './types.js';
import { bytesEqual, entriesEncodingSize, payloadsSize, voteResponseType } from './util.js';

/** The index of storage's latest snapshot (its log boundary if it cannot say now). */
function latestSnapshotIndex(storage: RaftConfig['storage']): number {
  try {
    return Math.max(storage.snapshot().metadata.index, storage.firstIndex() - 1);
  } catch (e) {
    if (e instanceof SnapshotTemporarilyUnavailableError) return storage.firstIndex() - 1;
    throw e;
  }
}

/** Why a member campaigns. */
export enum CampaignType {
  /** First phase of an election when PreVote is on: ask without raising the term. */
  PreElection = 'pre-election',
  /** A normal election. */
  Election = 'election',
  /** An election ordered by the leader through TimeoutNow: skips PreVote and lease checks. */
  Transfer = 'transfer',
}

/** Marks vote requests of a leadership transfer, which bypass the leader-lease check. */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode('CampaignTransfer');

/** Outcome of the most recent leadership transfer started by this member as leader. */
export interface TransferOutcome {
  /** The member leadership was to move to. */
  to: number;
  /** The term in which this member, as leader, started the transfer. */
  term: number;
  /**
   * How it went: still running; abandoned after an election timeout, because
   * the target left the voters, or for a transfer to another member; or
   * completed (the target campaigned or leads in a later term).
   */
  outcome: 'in-progress' | 'aborted-timeout' | 'aborted-removed' | 'aborted-superseded' | 'completed';
}

/**
 * The Raft state machine of one member: roles, elections, replication,
 * commitment, snapshots, membership, reads and leadership transfer. It is
 * pure: inputs are {@link Raft.step} and {@link Raft.tick}, outputs are the
 * message queues and the log's unstable and committed parts, which
 * {@link RawNode} turns into a Ready.
 *
 * Section references are to the Raft paper (Ongaro & Ousterhout, 2014) and
 * the Raft thesis (Ongaro, 2014).
 */
export class Raft {
  /** This member's id. */
  readonly id: number;
  /** Current term (persisted). */
  term = 0;
  /** Whom we voted for in `term` (persisted). */
  vote = NONE;
  /** Reads confirmed since the last Ready, handed out in `Ready.readStates`. */
  readStates: ReadState[] = [];
  /** The log: durable entries in storage, the unstable tail, and the commit and apply positions. */
  readonly raftLog: RaftLog;
  /**
   * The active membership, every member's replication progress (used while
   * leader) and the votes of the current election. Replaced, not mutated,
   * when the membership changes.
   */
  trk: ProgressTracker;
  /** This member's role in `term`. */
  state: StateRole = StateRole.Follower;
  /** True when this member is a learner in the active configuration. */
  isLearner = false;
  /** Messages that may be sent at once, before the unstable state is durable. */
  msgs: Message[] = [];
  /**
   * Messages that may be sent only after everything currently unstable
   * (term, vote, entries, snapshot) is durable: votes and append
   * acknowledgements (thesis §3.8). Some target this member itself.
   */
  msgsAfterAppend: Message[] = [];
  /** The leader of the current term, if known. */
  lead = NONE;
  /** Target of an ongoing leadership transfer (thesis §3.10). */
  leadTransferee = NONE;
  /** The last leadership transfer this member started, for status. */
  lastTransfer: TransferOutcome | undefined;
  /**
   * At most one conf change may be pending (in the log, not yet applied); this
   * is >= the index of the latest one. New ones are accepted only once
   * `applied` reaches it.
   */
  pendingConfIndex = 0;
  /** Leader only: payload bytes of the uncommitted log tail. */
  uncommittedSize = 0;
  /** Leader only: ReadIndex requests waiting for a quorum to confirm leadership (thesis §6.4). */
  readOnly: ReadOnly;
  /** Leader: ticks since the last quorum check. Others: ticks since hearing from a leader or voting. */
  electionElapsed = 0;
  /** Leader only: ticks since the last heartbeat. */
  heartbeatElapsed = 0;
  /**
   * The election timeout of the current term, in ticks, drawn from
   * `[electionTick, electionTickMax)` whenever the term or role changes, so
   * that members rarely time out together (§5.2).
   */
  randomizedElectionTimeout = 0;
  /** ReadIndex requests a new leader holds until it commits an entry of its own term. */
  pendingReadIndexMessages: Message[] = [];
  /**
   * The memberships of snapshots restored from the leader and not yet
   * applied by the application, oldest first. A snapshot's membership takes
   * effect when the snapshot is applied ({@link appliedSnapshot}), like a
   * configuration change, in log order: committed entries handed out before
   * it may still be being applied, and a configuration change among them
   * must apply to the membership it was made in, not to the snapshot's.
   */
  private restoredMemberships: { index: number; confState: ConfState }[] = [];
  /**
   * The leader needs a snapshot newer than the storage's latest: one that
   * names a new member, or one at all when the log was compacted past the
   * latest (the application compacts without snapshots and builds them on
   * demand).
   */
  snapshotRequested = false;
  /**
   * The log may be discarded through this index: the latest durable
   * snapshot the application reported, or the index its own durable state
   * covers when it keeps that state with the log (see
   * RawNode.reportCompactable).
   */
  compactableIndex: number;

  private readonly cfg: ResolvedRaftConfig;
  private readonly logger: RaftLogger;
  /** Proposals were appended and not yet broadcast; done once per Ready so proposals batch. */
  private broadcastPending = false;

  /**
   * Starts a member from what its storage holds: hard state, membership and
   * log. It starts as a follower of no known leader in the stored term (§5.1).
   * @throws RaftUsageError if the configuration is invalid
   * @throws RaftInvariantError if storage is inconsistent
   */
  constructor(config: RaftConfig) {
    this.cfg = resolveRaftConfig(config);
    this.id = this.cfg.id;
    this.logger = this.cfg.logger;
    this.raftLog = new RaftLog(this.cfg.storage, this.logger, this.cfg.maxCommittedSizePerReady);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    this.compactableIndex = latestSnapshotIndex(this.cfg.storage);

    const { hardState, confState } = this.cfg.storage.initialState();
    const restored = restoreConfState(this.newTracker(), this.raftLog.lastIndex(), confState);
    this.switchToConfig(restored);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (this.cfg.applied > this.raftLog.committed && this.cfg.applied <= this.raftLog.lastIndex()) {
      // The application applies only committed entries, but may do so while
      // the hard state that records their commit is still being written (a
      // crash can then keep the one and lose the other): what it applied is
      // committed.
      this.raftLog.commitTo(this.cfg.applied);
    }
    if (this.cfg.applied > 0) this.raftLog.appliedTo(this.cfg.applied, 0);
    this.becomeFollower(this.term, NONE);
    this.logger.info('raft member started', {
      id: this.id,
      voters: this.trk.voterIds(),
      term: this.term,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      lastTerm: this.raftLog.lastTerm(),
    });
  }

  /** The resolved configuration (defaults filled in). */
  get config(): Readonly<ResolvedRaftConfig> {
    return this.cfg;
  }

  private newTracker(): ProgressTracker {
    return new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
  }

  /** The known leader and this member's role: volatile state that need not be persisted. */
  softState(): SoftState {
    return { lead: this.lead, role: this.state };
  }

  /** Term, vote and commit index as they are now in memory: the state to persist (Raft paper Figure 2). */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** True if we know a leader for the current term. */
  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Queues a message. Votes and append acknowledgements wait until the
   * unstable state is durable; everything else may leave at once.
   */
  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === MessageType.Vote || t === MessageType.VoteResp || t === MessageType.PreVote || t === MessageType.PreVoteResp) {
      // Campaign messages carry the term they are about, which differs from
      // ours for pre-votes.
      if (m.term === 0) throw new RaftInvariantError(`term must be set when sending ${MessageType[t]}`);
    } else {
      if (m.term !== 0) throw new RaftInvariantError(`term must not be set when sending ${MessageType[t]}`);
      // Proposals and read requests forwarded to the leader carry no term: they are handled as local.
      if (t !== MessageType.Prop && t !== MessageType.ReadIndex) m.term = this.term;
    }
    if (t === MessageType.AppResp || t === MessageType.VoteResp || t === MessageType.PreVoteResp) {
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id) throw new RaftInvariantError(`message ${MessageType[t]} must not be addressed to self`);
      this.msgs.push(m);
    }
  }

  /** Sends an append with new entries (if any) and the commit index to `to`. */
  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends an append to `to` unless its flow is paused. With `sendIfEmpty`
   * false, only sends when there are entries to carry. Returns whether a
   * message was sent.
   */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    try {
      prevTerm = this.raftLog.term(prevIndex);
    } catch (e) {
      // The entries the follower needs were compacted: send a snapshot.
      if (e instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    let ents: Entry[] = [];
    // A throttled replicating follower gets only empty appends so an ack or a
    // reject eventually frees its window even if every message in it was lost.
    if (pr.state !== ProgressState.Replicate || !pr.inflights.full()) {
      try {
        ents = this.raftLog.entries(pr.next, this.cfg.maxSizePerMsg);
      } catch (e) {
        if (e instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
        throw e;
      }
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    const commit = this.raftLog.committed;
    this.send(message({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit }));
    pr.sentEntries(ents.length, entriesEncodingSize(ents));
    pr.sentCommitIndex(commit);
    return true;
  }

  /** Sends the latest snapshot to `to`. Returns whether it was sent. */
  private maybeSendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug('not sending snapshot to an inactive follower', { to });
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) {
        // The log was compacted past the latest snapshot (or one is being
        // built): ask the application for one (Ready.snapshotRequested) and
        // retry on the next heartbeat response.
        if (!this.snapshotRequested) this.logger.info('follower needs a snapshot and none covers the compacted log; requesting one', { to });
        this.snapshotRequested = true;
        return false;
      }
      throw e;
    }
    if (snapshot.metadata.index === 0) {
      throw new RaftInvariantError(`follower ${to} needs compacted entries but storage has no snapshot`);
    }
    const cs = snapshot.metadata.confState;
    if (![cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(to))) {
      // The latest snapshot predates the member's addition; it would refuse
      // it. Ask the application for a fresh one (RawNode surfaces this in
      // Ready.snapshotRequested) and retry on the next heartbeat response.
      this.logger.info('latest snapshot does not include the member; requesting a new one', { to, index: snapshot.metadata.index });
      this.snapshotRequested = true;
      return false;
    }
    this.logger.info('sending snapshot', { to, index: snapshot.metadata.index, term: snapshot.metadata.term, progress: pr.toString() });
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(message({ type: MessageType.Snap, to, snapshot }));
    return true;
  }

  /** Sends a heartbeat carrying a commit index the follower is known to be able to hold. */
  private sendHeartbeat(to: number, context: Uint8Array): void {
    const pr = this.trk.progress.get(to)!;
    // Never tell a follower to commit beyond what it is known to have.
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(message({ type: MessageType.Heartbeat, to, commit, context }));
    pr.sentCommitIndex(commit);
  }

  /** Sends appends to every follower that is not up to date. */
  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  /**
   * Broadcasts entries proposed since the last call, once, so that many
   * proposals between two Readies travel in one append per follower.
   */
  flushBroadcast(): void {
    if (!this.broadcastPending) return;
    this.broadcastPending = false;
    if (this.state !== StateRole.Leader) return;
    this.trk.visit((id) => {
      if (id !== this.id) this.maybeSendAppend(id, false);
    });
  }

  /** True when proposals await their broadcast. */
  hasPendingBroadcast(): boolean {
    return this.broadcastPending;
  }

  private bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingRequestContext();
    this.bcastHeartbeatWithContext(ctx ?? EMPTY_BYTES);
  }

  private bcastHeartbeatWithContext(ctx: Uint8Array): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  // ------------------------------------------------------- applying & committing

  /**
   * The application applied entries up to `index` weighing `bytes`. A leader
   * in a joint configuration marked auto-leave proposes leaving it once the
   * entry that entered it is applied.
   */
  appliedTo(index: number, bytes: number): void {
    const newApplied = Math.max(index, this.raftLog.applied);
    this.raftLog.appliedTo(newApplied, bytes);
    if (this.trk.config.autoLeave && newApplied >= this.pendingConfIndex && this.state === StateRole.Leader) {
      // An empty conf change leaves the joint configuration; its payload is
      // empty, so the uncommitted-size limit never refuses it.
      const m = message({ type: MessageType.Prop, from: this.id, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data: EMPTY_BYTES }] });
      try {
        this.step(m);
        this.logger.info('leaving joint configuration automatically', { config: describeConfig(this.trk.config) });
      } catch (e) {
        // Dropped (e.g. during a leadership transfer): retried on the next apply.
        this.logger.debug('not leaving joint configuration yet', { reason: (e as Error).message });
      }
    }
  }

  /**
   * A snapshot at `index` was installed durably and applied: it counts as
   * applied, and its membership takes effect.
   */
  appliedSnapshot(index: number): void {
    let membership: ConfState | undefined;
    while (this.restoredMemberships.length > 0 && this.restoredMemberships[0]!.index <= index) {
      membership = this.restoredMemberships.shift()!.confState;
    }
    if (membership) this.switchToConfig(restoreConfState(this.newTracker(), this.raftLog.lastIndex(), membership));
    this.raftLog.stableSnapTo(index);
    this.appliedTo(index, 0);
  }

  /**
   * Advances the commit index to what a quorum has acknowledged, if that
   * entry is of the current term (§5.4.2). Returns whether it moved.
   */
  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer('aborted-superseded');
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = this.trk.newProgress();
      pr.next = last + 1;
      pr.isLearner = old.isLearner;
      if (id === this.id) pr.match = last;
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    this.pendingReadIndexMessages = [];
    this.broadcastPending = false;
  }

  /**
   * Appends entries proposed to this leader at the current term. Returns
   * false when the uncommitted-size limit refuses them.
   */
  private appendEntry(es: Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    const ents: Entry[] = new Array(es.length);
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      ents[i] = { term: this.term, index: li + 1 + i, type: e.type, data: e.data };
    }
    if (!this.increaseUncommittedSize(ents)) {
      this.logger.warn('uncommitted log tail is over its byte limit; dropping proposal', {
        uncommittedBytes: this.uncommittedSize,
        limit: this.cfg.maxUncommittedEntriesSize,
      });
      return false;
    }
    li = this.raftLog.append(ents);
    // The leader acknowledges its own entries once they are durable: this
    // self-addressed response is stepped back in after persistence, so the
    // leader never counts an entry it has not yet stored (thesis §10.2.1).
    this.send(message({ type: MessageType.AppResp, to: this.id, index: li }));
    return true;
  }

  // ------------------------------------------------------------------ ticking

  /** Advances the logical clock by one tick. */
  tick(): void {
    if (this.state === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateRole.Leader && this.leadTransferee !== NONE) {
        this.logger.warn('leadership transfer timed out; resuming as leader', { to: this.leadTransferee });
        this.abortLeaderTransfer('aborted-timeout');
      }
    }
    if (this.state !== StateRole.Leader) return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  // -------------------------------------------------------------- transitions

  /** Becomes a follower in `term` under leader `lead` (or none). */
  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateRole.Follower;
    this.logger.info('became follower', { id: this.id, term: this.term, lead });
  }

  /** Becomes a candidate: a new term, voting for itself (§5.2). */
  becomeCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateRole.Candidate;
    this.logger.info('became candidate', { id: this.id, term: this.term });
  }

  /** Becomes a pre-candidate: asks for pre-votes without changing term or vote (thesis §9.6). */
  becomePreCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition leader -> pre-candidate');
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateRole.PreCandidate;
    this.logger.info('became pre-candidate', { id: this.id, term: this.term });
  }

  /** Becomes leader and appends an empty entry of its term so earlier entries can commit (§5.4.2, §8). */
  becomeLeader(): void {
    if (this.state === StateRole.Follower) throw new RaftInvariantError('invalid transition follower -> leader');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateRole.Leader;
    const self = this.trk.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // There may be an unapplied conf change in the log; conservatively treat
    // everything up to the last index as possibly one.
    this.pendingConfIndex = this.raftLog.lastIndex();
    if (!this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY_BYTES }])) {
      throw new RaftInvariantError('the empty entry of a new leader was refused');
    }
    this.logger.info('became leader', { id: this.id, term: this.term });
  }

  private hup(t: CampaignType): void {
    if (this.state === StateRole.Leader) {
      this.logger.debug('ignoring election request: already leader', { term: this.term });
      return;
    }
    if (!this.promotable()) {
      this.logger.warn('cannot campaign: not a voter (or a snapshot is being installed)', { term: this.term });
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn('cannot campaign while committed configuration changes are unapplied', { term: this.term });
      return;
    }
    this.logger.info('starting election', { id: this.id, term: this.term, type: t });
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    let lo = log.applied + 1;
    const hi = log.committed + 1;
    while (lo < hi) {
      const ents = log.slice(lo, hi, log.maxApplyingBytes);
      for (const e of ents) if (e.type === EntryType.ConfChange) return true;
      lo += ents.length;
    }
    return false;
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteType: MessageType;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      // Pre-votes ask about the next term without entering it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) {
        // Our own vote counts once it is durable: deliver it after persistence.
        this.send(message({ type: voteResponseType(voteType), to: id, term }));
        continue;
      }
      const context = t === CampaignType.Transfer ? CAMPAIGN_TRANSFER_CONTEXT : EMPTY_BYTES;
      this.send(message({ type: voteType, to: id, term, index: lastIndex, logTerm: lastTerm, context }));
    }
  }

  /**
   * Records a vote and counts them. A candidate wins only once its own vote
   * counts, and it counts only once it is durable (campaign sends it to
   * itself after persistence). Vote requests leave before the new term and
   * the self-vote are written; without this rule two other voters could
   * make a candidate leader of a term it has not recorded. If it then
   * crashed, it would restart in the previous term, campaign for the same
   * term again, be re-elected by the same voters (who repeat their vote)
   * and append different entries at indexes its first incarnation had
   * already sent out in that term: two entries with the same index and
   * term, breaking Log Matching (§5.3). Pre-votes change no durable state
   * and need no such wait.
   */
  private poll(id: number, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    const tally = this.trk.tallyVotes();
    this.logger.debug('votes counted', { granted: tally.granted, rejected: tally.rejected, result: tally.result });
    if (tally.result === VoteResult.Won && this.state === StateRole.Candidate && this.trk.votes.get(this.id) !== true) {
      return VoteResult.Pending;
    }
    return tally.result;
  }

  // ------------------------------------------------------------------ stepping

  /**
   * Handles one message: from the network, or a local one built by
   * {@link RawNode}. Throws {@link ProposalDroppedError} when a proposal or a
   * read cannot be taken.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message, or a proposal/read forwarded to us.
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!force && inLease) {
          // Within the minimum election timeout of hearing from a leader we
          // neither raise our term nor vote (thesis §4.2.3): this is what
          // keeps a removed or partitioned member from disrupting the cluster.
          this.logger.debug('ignoring vote request: leader lease not expired', {
            from: m.from,
            term: m.term,
            remainingTicks: this.cfg.electionTick - this.electionElapsed,
          });
          return;
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never change term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // A granted pre-vote carries the term we will campaign for.
      } else {
        this.logger.info('received a message with a higher term', { type: MessageType[m.type], from: m.from, term: m.term, ourTerm: this.term });
        // The transfer target campaigning (or leading) in a later term means it worked.
        if (this.leadTransferee !== NONE && m.from === this.leadTransferee) this.abortLeaderTransfer('completed');
        const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A leader of an older term: answer so it learns our term and steps
        // down. With CheckQuorum or PreVote, a member whose term rose while
        // it was cut off could otherwise never rejoin, since its votes are
        // ignored or refused.
        this.send(message({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.send(message({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.debug('ignoring a message with a lower term', { type: MessageType[m.type], from: m.from, term: m.term, ourTerm: this.term });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.cfg.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      default:
        switch (this.state) {
          case StateRole.Leader:
            this.stepLeader(m);
            return;
          case StateRole.Candidate:
          case StateRole.PreCandidate:
            this.stepCandidate(m);
            return;
          case StateRole.Follower:
            this.stepFollower(m);
            return;
        }
    }
  }

  private handleVoteRequest(m: Message): void {
    // We may vote if this repeats a vote we cast, if we have not voted and
    // know no leader in this term, or if it is a pre-vote for a later term...
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    // ...and the candidate's log is at least as up to date as ours (§5.4.1).
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Learners vote too: a learner promoted in a configuration it has not
      // applied yet may be needed for a quorum.
      this.logger.info('granting vote', { type: MessageType[m.type], to: m.from, term: m.term });
      // The response carries the request's term, so a pre-candidate ahead of
      // us does not discard it as stale.
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info('rejecting vote', { type: MessageType[m.type], to: m.from, term: m.term, vote: this.vote });
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }));
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive()) {
          this.logger.warn('stepping down: no quorum heard from within an election timeout', { term: this.term });
          this.becomeFollower(this.term, NONE);
        }
        // Everyone but us is inactive until heard from again.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case MessageType.Prop:
        this.handleLeaderProposal(m);
        return;
      case MessageType.ReadIndex:
        this.handleLeaderReadIndex(m);
        return;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) {
      this.logger.debug('no progress for sender', { from: m.from, type: MessageType[m.type] });
      return;
    }
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return;
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) {
          // Forget the snapshot first, or probing would resume after an index never installed.
          pr.pendingSnapshot = 0;
          this.logger.warn('snapshot failed; probing the follower again', { to: m.from });
        }
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat interval) before sending more.
        pr.msgAppFlowPaused = true;
        return;
      case MessageType.Unreachable:
        // Optimistically sent appends were probably lost.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.logger.debug('peer unreachable', { to: m.from, progress: pr.toString() });
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private handleLeaderProposal(m: Message): void {
    if (m.entries.length === 0) throw new RaftInvariantError('empty proposal');
    const local = m.from === this.id || m.from === NONE;
    if (!this.trk.progress.has(this.id)) {
      throw new ProposalDroppedError('not-a-member', `member ${this.id} was removed from the configuration and no longer leads`);
    }
    if (this.leadTransferee !== NONE) {
      throw new ProposalDroppedError(
        'leadership-transfer',
        `leadership is being transferred to member ${this.leadTransferee}; retry once the new leader is elected`,
      );
    }
    let entries = m.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.type !== EntryType.ConfChange) continue;
      const failed = this.checkConfChangeProposal(decodeConfChange(e.data));
      if (failed === undefined) {
        this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
        continue;
      }
      if (local && entries.length === 1) throw new ProposalDroppedError('conf-change-pending', failed);
      // A forwarded or batched change that is no longer valid becomes a no-op,
      // keeping the rest of the batch.
      this.logger.info('ignoring configuration change', { reason: failed });
      if (entries === m.entries) entries = entries.slice();
      entries[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY_BYTES };
    }
    if (!this.appendEntry(entries)) {
      throw new ProposalDroppedError(
        'uncommitted-limit',
        `the leader's uncommitted log is over its limit of ${this.cfg.maxUncommittedEntriesSize} bytes (is a quorum reachable?); retry later`,
      );
    }
    this.broadcastPending = true;
  }

  /** Why a conf change may not be proposed now, or undefined if it may. */
  private checkConfChangeProposal(cc: ConfChange): string | undefined {
    const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
    const alreadyJoint = this.trk.config.voters.isJoint;
    const wantsLeaveJoint = isLeaveJoint(cc);
    if (alreadyPending) {
      return `a configuration change at index ${this.pendingConfIndex} is not applied yet (applied ${this.raftLog.applied}); only one may be pending at a time`;
    }
    if (alreadyJoint && !wantsLeaveJoint) return 'the configuration is joint; it must be left before another change';
    if (!alreadyJoint && wantsLeaveJoint) return 'the configuration is not joint; there is nothing to leave';
    return undefined;
  }

  private handleLeaderReadIndex(m: Message): void {
    const local = m.from === this.id || m.from === NONE;
    if (this.readOnly.size + this.pendingReadIndexMessages.length >= this.cfg.maxPendingReads) {
      if (local) {
        throw new ProposalDroppedError('uncommitted-limit', `too many pending reads (${this.cfg.maxPendingReads}); retry later`);
      }
      this.logger.warn('dropping forwarded read: too many pending reads', { from: m.from });
      return;
    }
    // The only voter needs nobody to confirm its leadership.
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    // A new leader does not know the commit index until it commits an entry
    // of its own term (thesis §6.4): hold reads until then.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.readOnly.option === 'safe') {
      const ctx = m.entries[0]!.data;
      this.readOnly.addRequest(this.raftLog.committed, m);
      // The leader acknowledges its own heartbeat round.
      this.readOnly.recvAck(this.id, ctx);
      this.bcastHeartbeatWithContext(ctx);
    } else {
      this.respondToReadIndex(m, this.raftLog.committed);
    }
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestContext: req.entries[0]!.data });
      return;
    }
    this.send(message({ type: MessageType.ReadIndexResp, to: req.from, index, entries: req.entries }));
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      this.logger.debug('append rejected', { from: m.from, index: m.index, hintIndex: m.rejectHint, hintTerm: m.logTerm });
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) {
        // Fast backtracking: skip every index whose term in our log is above
        // the follower's term at the hint, since such a probe must fail.
        nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    // Update on a new match, or move a probing follower that is caught up
    // back to replicating.
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe))) return;
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower can continue from the log (whatever snapshot it installed).
      this.logger.info('follower recovered from needing a snapshot', { from: m.from, progress: pr.toString() });
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      // Reads held by a new leader can proceed once it commits in its term.
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (m.from !== this.id && pr.canBumpCommit(this.raftLog.committed)) {
      this.sendAppend(m.from);
    }
    // The window may have opened: send as much as it allows.
    if (m.from !== this.id) {
      while (this.maybeSendAppend(m.from, false)) {
        /* keep sending */
      }
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger.info('transfer target caught up; sending TimeoutNow', { to: m.from });
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // Also unblocks a follower whose window filled with lost messages.
    if (pr.match < this.raftLog.lastIndex() || pr.state === ProgressState.Probe) this.sendAppend(m.from);
    // Repeat TimeoutNow to a caught-up transfer target: the first may have
    // been lost, or arrived while the target could not campaign yet (e.g. a
    // committed configuration change not yet applied there).
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(m.from);
    if (this.readOnly.option !== 'safe' || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks || this.trk.config.voters.voteResult(acks) !== VoteResult.Won) return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.request, rs.index);
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) {
      this.logger.info('refusing to transfer leadership to a learner', { to: m.from });
      return;
    }
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) {
        this.logger.info('leadership transfer already in progress', { to: transferee });
        return;
      }
      this.abortLeaderTransfer('aborted-superseded');
    }
    if (transferee === this.id) {
      this.logger.debug('already leader: nothing to transfer');
      return;
    }
    this.logger.info('starting leadership transfer', { to: transferee, term: this.term });
    // The transfer must finish within one election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    this.lastTransfer = { to: transferee, term: this.term, outcome: 'in-progress' };
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.sendAppend(transferee);
    }
  }

  private sendTimeoutNow(to: number): void {
    this.send(message({ type: MessageType.TimeoutNow, to }));
  }

  private abortLeaderTransfer(outcome: TransferOutcome['outcome']): void {
    if (this.leadTransferee === NONE) return;
    if (this.lastTransfer && this.lastTransfer.to === this.leadTransferee) this.lastTransfer.outcome = outcome;
    this.leadTransferee = NONE;
  }

  private stepCandidate(m: Message): void {
    // Only responses to our current kind of candidacy count (a candidate may
    // still receive pre-vote responses of the same term).
    const myVoteResp = this.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        throw new ProposalDroppedError('no-leader', `no leader at term ${this.term}: an election is in progress; retry shortly`);
      case MessageType.ReadIndex:
        if (m.from === this.id || m.from === NONE) {
          throw new ProposalDroppedError('no-leader', `no leader at term ${this.term}: an election is in progress; retry shortly`);
        }
        return;
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResp: {
        const result = this.poll(m.from, !m.reject);
        if (result === VoteResult.Won) {
          if (this.state === StateRole.PreCandidate) {
            this.campaign(CampaignType.Election);
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === VoteResult.Lost) {
          // A rejected pre-vote may carry a higher term; keep ours.
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        // Transfer requests need a leader; RawNode reports that to local callers.
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) {
          throw new ProposalDroppedError('no-leader', `no leader is known at term ${this.term}; retry once a leader is elected`);
        }
        if (this.cfg.disableProposalForwarding) {
          throw new ProposalDroppedError('forwarding-disabled', `member ${this.id} is a follower and proposal forwarding is disabled; send it to leader ${this.lead}`);
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        // `from` names the transfer target, so it is kept when forwarding.
        if (this.lead === NONE) {
          this.logger.info('no leader known; dropping leadership transfer request', { to: m.from });
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.TimeoutNow:
        this.logger.info('received TimeoutNow: campaigning at once', { from: m.from, term: this.term });
        // A transfer skips PreVote: we know the leader asked for it.
        this.hup(CampaignType.Transfer);
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          if (m.from === this.id || m.from === NONE) {
            throw new ProposalDroppedError('no-leader', `no leader is known at term ${this.term}; retry once a leader is elected`);
          }
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.ReadIndexResp:
        if (m.entries.length !== 1) {
          this.logger.error('malformed ReadIndexResp', { from: m.from, entries: m.entries.length });
          return;
        }
        this.readStates.push({ index: m.index, requestContext: m.entries[0]!.data });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    // Entries up to our commit index are known to match already.
    if (m.index < this.raftLog.committed) {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: MessageType.AppResp, to: m.from, index: lastNew }));
      return;
    }
    // Our log does not match at m.index: hint the largest (index, term) with
    // term <= m.logTerm, skipping our entries from later terms.
    const hint = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.logger.debug('rejecting append', { from: m.from, index: m.index, logTerm: m.logTerm, hintIndex: hint.index, hintTerm: hint.term });
    this.send(
      message({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(message({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) {
      this.logger.error('snapshot message without a snapshot', { from: m.from });
      return;
    }
    if (this.restore(s)) {
      this.logger.info('restored snapshot', { index: s.metadata.index, term: s.metadata.term, commit: this.raftLog.committed });
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.logger.info('ignored snapshot', { index: s.metadata.index, term: s.metadata.term, commit: this.raftLog.committed });
      this.send(message({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /**
   * Installs a snapshot from the leader. Returns false when it was ignored:
   * stale (not beyond our commit index), not naming us as a member, or
   * already matched by our log (then only the commit index moves, and the
   * log after it is kept). The log is replaced at once; the snapshot's
   * membership takes effect when the application has applied it
   * ({@link appliedSnapshot}).
   */
  restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.state !== StateRole.Follower) {
      this.logger.error('attempted to restore a snapshot while not a follower', { state: this.state });
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const member = [confState.voters, confState.learners, confState.votersOutgoing].some((ids) => ids.includes(this.id));
    if (!member) {
      this.logger.warn('ignoring snapshot that does not list this member', { index, confState });
      return false;
    }
    if (this.raftLog.matchTerm(index, term)) {
      // Our log already has the snapshot's last entry: keep our log and just commit.
      this.logger.info('fast-forwarding commit to snapshot index', { index, term });
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    // The membership takes effect once the application applied the snapshot,
    // after the entries before it (see restoredMemberships).
    this.restoredMemberships.push({ index, confState });
    return true;
  }

  /** True when this member may campaign: a voter not installing a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  /**
   * Applies a committed configuration change (the application calls this
   * when it applies the entry) and returns the new membership.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let next: ConfigAndProgress;
    if (isLeaveJoint(cc)) {
      next = changer.leaveJoint();
    } else {
      const j = enterJoint(cc);
      next = j.joint ? changer.enterJoint(j.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(next);
  }

  /**
   * Makes a configuration active and reacts to it: a removed or demoted
   * leader steps down; a leader commits what the new quorum allows and probes
   * new members; a transfer to a removed member is abandoned.
   */
  private switchToConfig(next: ConfigAndProgress): ConfState {
    this.trk.config = next.config;
    this.trk.progress = next.progress;
    this.logger.info('switched configuration', { config: describeConfig(this.trk.config) });
    const cs = this.trk.confState();
    const self = this.trk.progress.get(this.id);
    this.isLearner = self !== undefined && self.isLearner;
    if ((self === undefined || this.isLearner) && this.state === StateRole.Leader) {
      this.logger.info('stepping down: this leader is no longer a voter', { term: this.term });
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== StateRole.Leader || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.config.voters.has(this.leadTransferee)) {
      this.abortLeaderTransfer('aborted-removed');
    }
    return cs;
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `stored commit index ${hs.commit} is outside the log [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]: storage is inconsistent`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = randomInt(this.cfg.random, this.cfg.electionTick, this.cfg.electionTickMax);
  }

  private increaseUncommittedSize(ents: Entry[]): boolean {
    const s = payloadsSize(ents);
    // An empty tail always accepts one proposal, however large, so a single
    // big entry cannot be refused forever.
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.cfg.maxUncommittedEntriesSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  /** Committed entries of `bytes` payload were applied: they no longer count as uncommitted. */
  reduceUncommittedSize(bytes: number): void {
    this.uncommittedSize = bytes > this.uncommittedSize ? 0 : this.uncommittedSize - bytes;
  }

  /**
   * The highest index whose entries may be discarded now: covered by the
   * latest snapshot, applied, minus the tail kept for slow followers, and —
   * on a leader — not beyond a snapshot a follower is still installing, so
   * it can continue from the log afterwards. 0 when nothing may be
   * discarded beyond what already is.
   */
  compactionIndex(): number {
    let target = Math.min(this.compactableIndex, this.raftLog.applied) - this.cfg.logTailAfterSnapshot;
    if (this.state === StateRole.Leader) {
      for (const [id, pr] of this.trk.progress) {
        if (id !== this.id && pr.state === ProgressState.Snapshot && pr.pendingSnapshot > 0) {
          target = Math.min(target, pr.pendingSnapshot);
        }
      }
    }
    return target > this.raftLog.storage.firstIndex() - 1 ? target : 0;
  }

  /** The active configuration (read-only view). */
  get trackerConfig(): Readonly<TrackerConfig> {
    return this.trk.config;
  }
}
