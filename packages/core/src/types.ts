/**
 * The data types that flow in and out of the Raft core. They mirror the wire
 * messages of `raftkit.raft.v1` field for field, so a transport converts them
 * without interpretation.
 */

/** Placeholder member id meaning "nobody" (no leader, no vote). Member ids are positive integers. */
export const NONE = 0;

/** What an entry carries. */
export enum EntryType {
  /** Application data (empty data is the no-op a new leader appends). */
  Normal = 0,
  /** An encoded {@link ConfChange}; it takes effect when the application applies it. */
  ConfChange = 1,
}

/** One log entry. `index` and `term` are assigned by the leader that appends it. */
export interface Entry {
  /**
   * The term of the leader that appended the entry. Terms never decrease
   * along a log, and two logs holding an entry with the same index and term
   * are identical up to it (Log Matching, Raft paper §5.3).
   */
  term: number;
  /** The entry's position in the log, from 1; consecutive entries have consecutive indexes. */
  index: number;
  /** What the entry carries: application data or a membership change. */
  type: EntryType;
  /** The payload: opaque application bytes, or an encoded {@link ConfChange}. Never modified once appended. */
  data: Uint8Array;
}

/**
 * The state every member must persist before it sends a message that depends
 * on it (Raft paper, Figure 2: currentTerm, votedFor; plus the commit index so
 * a restart does not re-derive it from a quorum).
 */
export interface HardState {
  /** The latest term this member has seen (currentTerm); never decreases. */
  term: number;
  /**
   * The candidate this member voted for in `term` (votedFor), or {@link NONE}.
   * It must be durable before the vote is sent: one vote per term (§5.2).
   */
  vote: number;
  /**
   * The highest index known to be committed. Never decreases, and is at
   * most the last index of the durable log.
   */
  commit: number;
}

/**
 * The membership of the cluster as of some log index: the voters (and, while
 * a joint configuration is in effect, the outgoing voters), the learners, and
 * the learners that become learners only when the joint configuration is left
 * (voters demoted to learners). See the Raft thesis §4.3.
 */
export interface ConfState {
  /** The voters (the incoming half while joint), ascending. A quorum of them commits entries and elects leaders. */
  voters: number[];
  /** Members that receive the log but never vote or count toward a quorum, ascending; disjoint from `voters` and `votersOutgoing`. */
  learners: number[];
  /** While a joint configuration is in effect, the voters of the outgoing (old) half; empty otherwise. Decisions then need a quorum of both halves. */
  votersOutgoing: number[];
  /**
   * Outgoing voters that become learners when the joint configuration is
   * left (voters being demoted); each is in `votersOutgoing` and not in `learners`.
   */
  learnersNext: number[];
  /** The joint configuration is left automatically once it is committed (the leader proposes the empty change); false outside a joint configuration. */
  autoLeave: boolean;
}

/** What a snapshot covers: the last index and term it contains and the membership at that index. */
export interface SnapshotMetadata {
  /** The index of the last entry the snapshot covers; the log resumes at `index + 1`. */
  index: number;
  /** The term of the entry at `index`, so the entry after the snapshot can pass the append consistency check. */
  term: number;
  /** The membership in effect once every entry up to `index` is applied. */
  confState: ConfState;
}

/**
 * A snapshot of the application state. The core only interprets `metadata`;
 * `data` is opaque. Transports that stream snapshots separately (in chunks)
 * may leave `data` empty in the message and move the bytes themselves.
 */
export interface Snapshot {
  /** Where the snapshot stands in the log, and the membership there. */
  metadata: SnapshotMetadata;
  /** The application state, opaque to the core; empty for the bootstrap snapshot or when the transport moves the bytes itself. */
  data: Uint8Array;
}

/** The kinds of message the core exchanges. Local kinds never leave the member. */
export enum MessageType {
  /** Local: start an election. */
  Hup = 0,
  /** Local: the leader should send heartbeats. */
  Beat = 1,
  /** A proposal, local or forwarded by a follower to the leader. */
  Prop = 2,
  /**
   * AppendEntries (Raft paper §5.3): the leader sends entries after
   * (`index`, `logTerm`) and its commit index; with no entries it probes
   * where the follower's log matches.
   */
  App = 3,
  /**
   * The answer to App (or to Snap): accepted up to `index`, or rejected
   * (`reject`) with a hint (`rejectHint`, `logTerm`) for fast backtracking.
   * Sent only once what it acknowledges is durable.
   */
  AppResp = 4,
  /** RequestVote (§5.2): a candidate asks for a vote in `term`, giving its last index and term for the up-to-date check (§5.4.1). */
  Vote = 5,
  /** The answer to Vote; a grant is sent only once the vote is durable. */
  VoteResp = 6,
  /** InstallSnapshot (§7): the leader sends a snapshot to a follower that needs compacted entries. */
  Snap = 7,
  /** The leader's periodic heartbeat, carrying a commit index the follower is known to hold and, for ReadIndex, a request context. */
  Heartbeat = 8,
  /** The answer to Heartbeat, echoing its context; it confirms the leader is still leader (thesis §6.4). */
  HeartbeatResp = 9,
  /** Local: the transport could not reach the peer in `from`. */
  Unreachable = 10,
  /** Local: outcome of sending a snapshot to `from` (`reject` = failed). */
  SnapStatus = 11,
  /** Local: the leader checks that a quorum is still active. */
  CheckQuorum = 12,
  /** A request to hand leadership to the member in `from` (thesis §3.10); followers forward it to the leader. */
  TransferLeader = 13,
  /** The leader tells the transfer target to campaign at once, skipping PreVote and the leader lease (thesis §3.10). */
  TimeoutNow = 14,
  /** A linearizable read request (thesis §6.4), local or forwarded by a follower to the leader; its context is in `entries[0].data`. */
  ReadIndex = 15,
  /** The leader's answer to a forwarded ReadIndex: serve the read once applied reaches `index`. */
  ReadIndexResp = 16,
  /** A pre-vote (thesis §9.6): would the sender win an election in `term`? Neither side changes its term or vote. */
  PreVote = 17,
  /** The answer to PreVote; a grant carries the term asked about. */
  PreVoteResp = 18,
}

/**
 * A Raft message. The same shape serves every type; fields a type does not
 * use are zero or empty. See the comments on the handlers in `raft.ts` for
 * what each type sets.
 */
export interface Message {
  /** What the message is; it decides which other fields are set. */
  type: MessageType;
  /** The recipient's member id. */
  to: number;
  /** The sender's member id (for TransferLeader, the transfer target). */
  from: number;
  /**
   * The sender's term, or for (pre-)votes and their answers the term they
   * are about; 0 for local messages and for proposals and reads forwarded
   * to the leader. A member that sees a higher term adopts it (§5.1).
   */
  term: number;
  /** For App: the term of the entry before `entries`. For a vote: the candidate's last log term. For a rejected AppResp: the term at `rejectHint`. */
  logTerm: number;
  /** For App: the index of the entry before `entries`. For AppResp: the last index appended, or the rejected index. For a vote: the candidate's last index. */
  index: number;
  /** For App: the entries to append, consecutive from `index + 1`. For Prop: the proposed entries. For ReadIndex and ReadIndexResp: one entry whose data is the request context. */
  entries: Entry[];
  /** For App and Heartbeat: the leader's commit index (for Heartbeat, capped at what the follower is known to hold). */
  commit: number;
  /** For Snap: the snapshot to install (its `data` may be left empty when the transport streams the bytes). */
  snapshot?: Snapshot;
  /** For AppResp, VoteResp and PreVoteResp: the request was refused. For SnapStatus: sending the snapshot failed. */
  reject: boolean;
  /** For a rejected AppResp: the follower's guess of the last index where the logs may match. */
  rejectHint: number;
  /** Opaque bytes: the read request id of heartbeats and ReadIndex, the transfer marker of votes. */
  context: Uint8Array;
}

/** The role a member plays in its current term. */
export enum StateRole {
  /** Follows a leader (or waits for one): answers its appends and heartbeats and votes in elections. Every member starts here (§5.1). */
  Follower = 'follower',
  /** Runs a pre-election (thesis §9.6): asks whether it could win without raising its term. */
  PreCandidate = 'pre-candidate',
  /** Runs an election in a new term, having voted for itself (§5.2). */
  Candidate = 'candidate',
  /** Won the election of its term: takes proposals and replicates the log. At most one per term (Election Safety). */
  Leader = 'leader',
}

/** State that changes often and need not be persisted: who leads and what we are. */
export interface SoftState {
  /** The leader of the current term as far as this member knows, or {@link NONE}. */
  lead: number;
  /** This member's role in the current term. */
  role: StateRole;
}

/**
 * The answer to a read-only request: once the application has applied up to
 * `index`, a read for `requestContext` may be served linearizably.
 */
export interface ReadState {
  /** The leader's commit index when the read was confirmed: the read is linearizable once applied reaches it. */
  index: number;
  /** The context given to {@link RawNode.readIndex}, identifying the read. */
  requestContext: Uint8Array;
}

/** Builds a message with every field defaulted, overriding the given ones. */
export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY_BYTES,
    ...fields,
  };
}

/** A shared empty byte array; never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** An empty membership. */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** True when the hard state is the zero value a brand-new member starts with. */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

/** True when two hard states are equal. */
export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** True for the snapshot that stands for "no snapshot" (index 0). */
export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}
