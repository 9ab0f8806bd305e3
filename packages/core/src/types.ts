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
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/**
 * The state every member must persist before it sends a message that depends
 * on it (Raft paper, Figure 2: currentTerm, votedFor; plus the commit index so
 * a restart does not re-derive it from a quorum).
 */
export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/**
 * The membership of the cluster as of some log index: the voters (and, while
 * a joint configuration is in effect, the outgoing voters), the learners, and
 * the learners that become learners only when the joint configuration is left
 * (voters demoted to learners). See the Raft thesis §4.3.
 */
export interface ConfState {
  voters: number[];
  learners: number[];
  votersOutgoing: number[];
  learnersNext: number[];
  autoLeave: boolean;
}

/** What a snapshot covers: the last index and term it contains and the membership at that index. */
export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

/**
 * A snapshot of the application state. The core only interprets `metadata`;
 * `data` is opaque. Transports that stream snapshots separately (in chunks)
 * may leave `data` empty in the message and move the bytes themselves.
 */
export interface Snapshot {
  metadata: SnapshotMetadata;
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
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  /** Local: the transport could not reach the peer in `from`. */
  Unreachable = 10,
  /** Local: outcome of sending a snapshot to `from` (`reject` = failed). */
  SnapStatus = 11,
  /** Local: the leader checks that a quorum is still active. */
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

/**
 * A Raft message. The same shape serves every type; fields a type does not
 * use are zero or empty. See the comments on the handlers in `raft.ts` for
 * what each type sets.
 */
export interface Message {
  type: MessageType;
  to: number;
  from: number;
  term: number;
  /** For App: the term of the entry before `entries`. For a vote: the candidate's last log term. For a rejected AppResp: the term at `rejectHint`. */
  logTerm: number;
  /** For App: the index of the entry before `entries`. For AppResp: the last index appended, or the rejected index. For a vote: the candidate's last index. */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** For a rejected AppResp: the follower's guess of the last index where the logs may match. */
  rejectHint: number;
  /** Opaque bytes: the read request id of heartbeats and ReadIndex, the transfer marker of votes. */
  context: Uint8Array;
}

/** The role a member plays in its current term. */
export enum StateRole {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

/** State that changes often and need not be persisted: who leads and what we are. */
export interface SoftState {
  lead: number;
  role: StateRole;
}

/**
 * The answer to a read-only request: once the application has applied up to
 * `index`, a read for `requestContext` may be served linearizably.
 */
export interface ReadState {
  index: number;
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
