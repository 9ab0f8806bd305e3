/**
 * The boundaries of {@link RaftNode}: a clock, durable storage, a transport
 * and the application's state machine. Real implementations live in
 * `@raftkit/storage-lmdb`, `@raftkit/transport-grpc` and the server; the
 * testkit simulator provides virtual ones.
 */
import type { ConfChange } from '../confchange/types.js';
import type { LogStorage } from '../storage.js';
import type { ProposalId } from './proposal-codec.js';
import type { ConfState, Entry, HardState, Message, Snapshot, SnapshotMetadata } from '../types.js';

/** A handle to cancel a timer. */
export type TimerHandle = unknown;

/** Time, as the driver sees it. The simulator runs it virtually. */
export interface Clock {
  /** Milliseconds since some fixed origin. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer set with {@link setTimer}; does nothing if it already ran or was cancelled. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Calls `fn` soon, after the work already queued in this turn (e.g.
   * `setImmediate`), so requests arriving together share one Ready.
   */
  defer(fn: () => void): void;
}

/** What one Ready asks storage to make durable, in one atomic write. */
export interface PersistUpdate {
  /** Entries to append, replacing stored entries from `entries[0].index` on. */
  entries: Entry[];
  /** Term, vote and commit index to save, when they changed. */
  hardState?: HardState;
  /**
   * A snapshot received from the leader: the log is replaced by its
   * boundary. `data` holds its bytes when they travelled in the message;
   * transports that stream snapshots store the bytes themselves and leave it
   * empty.
   */
  snapshot?: Snapshot;
  /** Entries up to and including this index may be discarded. */
  compactTo?: number;
  /** The write must reach the disk before the promise resolves. */
  mustSync: boolean;
}

/** Durable storage of the Raft log: the core's read interface plus one atomic write. */
export interface NodeStorage extends LogStorage {
  /** Makes the update durable; resolves only when it is (fsync when `mustSync`). */
  persist(update: PersistUpdate): Promise<void>;
}

/** Sends messages to peers. Delivery is best effort; Raft tolerates loss. */
export interface NodeTransport {
  /** Queues messages; must not block. Messages of type Snap carry metadata only; the transport streams the bytes. */
  send(messages: Message[]): void;
}

/** A committed entry as the state machine sees it. */
export interface AppliedEntry {
  /** The entry's log index; entries arrive in index order, each exactly once. */
  index: number;
  /** The term of the leader that appended it. */
  term: number;
  /**
   * `normal`: a client proposal (`payload`); `noop`: the empty entry a new
   * leader appends; `conf-change`: a membership change, already applied to
   * Raft, whose resulting membership is `confState`.
   */
  kind: 'normal' | 'noop' | 'conf-change';
  /** The proposed bytes (without RaftNode's envelope); for a conf change, its context. */
  payload: Uint8Array;
  /**
   * The id of the proposal this entry carries. A proposal may appear in the
   * log more than once (a network can duplicate a forwarded proposal): apply
   * it only the first time, e.g. with a {@link ProposalDeduplicator} kept in
   * the state machine's durable state.
   */
  proposal?: ProposalId;
  /** For a conf change: the change, as proposed. */
  confChange?: ConfChange;
  /** For a conf change: the membership once it is applied; record it with the applied index. */
  confState?: ConfState;
}

/**
 * The replicated application. It must be deterministic: every member applies
 * the same entries in the same order and must reach the same state.
 */
export interface NodeStateMachine<R = unknown> {
  /**
   * The last applied index, as durably recorded with the data (restarts
   * resume after it, so nothing is applied twice or skipped).
   */
  appliedIndex(): number;
  /**
   * Applies committed entries in order and returns one result per entry
   * (handed to whoever proposed it on this member). Record the applied index
   * (and, for conf changes, `confState`) in the same atomic write as the data.
   */
  apply(entries: AppliedEntry[]): Promise<R[]> | R[];
  /**
   * Durably snapshots the state at the applied index, described by `meta`.
   * Afterwards storage's `snapshot()` must return it.
   */
  createSnapshot(meta: SnapshotMetadata): Promise<void>;
  /**
   * Optional: the applied index through which this state machine's own
   * state is durable in the same atomic store as the log (so no crash can
   * keep a compaction of the log and lose the state it relied on). When
   * given, {@link RaftNode} compacts the log every `snapshotInterval`
   * applied entries without taking snapshots, and takes one only when a
   * follower needs entries that are gone (etcd's design): the periodic full
   * copy of the state, and its cost, disappear.
   */
  compactableIndex?(): number;
  /**
   * Replaces the state with a snapshot received from the leader (its bytes
   * are already stored). A snapshot with no data is the bootstrap snapshot
   * of the cluster: it stands for the initial, empty state.
   */
  restoreSnapshot(snapshot: Snapshot): Promise<void>;
}
