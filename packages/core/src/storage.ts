import {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from './errors.js';
import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  EMPTY_BYTES,
  emptyConfState,
} from './types.js';
import { limitSize } from './util.js';
import { bootstrapState } from './bootstrap.js';

/** The durable state a member starts from. */
export interface InitialState {
  /** Term, vote and commit index as last persisted (all zero for a brand-new member). */
  hardState: HardState;
  /** The membership as of the last applied configuration known to storage. */
  confState: ConfState;
}

/**
 * The synchronous read interface the core uses to reach the durable log.
 *
 * The log held by storage spans `[firstIndex(), lastIndex()]`; the entry at
 * `firstIndex() - 1` is compacted but its term stays known (it is the
 * snapshot's last entry). Every method must answer from durable state as of
 * the last completed write; the core never calls it concurrently with a
 * write it is waiting for.
 */
export interface LogStorage {
  /** Hard state and membership saved by the last run. */
  initialState(): InitialState;
  /**
   * Entries in `[lo, hi)`, stopping early once their total encoding size
   * would exceed `maxBytes` (but always at least one entry).
   * @throws CompactedError if `lo < firstIndex()`
   * @throws UnavailableError if `hi > lastIndex() + 1`
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * The term of the entry at index `i`, for `firstIndex() - 1 <= i <= lastIndex()`.
   * @throws CompactedError if `i < firstIndex() - 1`
   * @throws UnavailableError if `i > lastIndex()`
   */
  term(i: number): number;
  /** Index of the last entry in the log (the snapshot index when the log is empty). */
  lastIndex(): number;
  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  /**
   * The most recent snapshot. A leader sends it to a follower that needs
   * compacted entries.
   * @throws SnapshotTemporarilyUnavailableError if it is being built, or the
   * log was compacted past the latest one (the leader then asks for a new one)
   */
  snapshot(): Snapshot;
}

/**
 * The index of storage's latest snapshot, or 0 when the log was compacted
 * past it: such a snapshot can serve no follower, so the next request for
 * one must build a new one.
 */
export function usableSnapshotIndex(storage: LogStorage): number {
  try {
    return storage.snapshot().metadata.index;
  } catch (e) {
    if (e instanceof SnapshotTemporarilyUnavailableError) return 0;
    throw e;
  }
}

/**
 * A complete in-memory log storage for tests and for embedding where
 * durability comes from elsewhere. Index 0 is a dummy entry standing for
 * the snapshot: `ents[0].index` is the snapshot index.
 */
export class MemoryStorage implements LogStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: emptyConfState() }, data: EMPTY_BYTES };
  private ents: Entry[] = [{ term: 0, index: 0, type: 0, data: EMPTY_BYTES }];
  private confState: ConfState = emptyConfState();

  /**
   * A storage for a founding member of a new cluster with this initial
   * membership (see {@link bootstrapState}). A member joining an existing
   * cluster starts from `new MemoryStorage()` instead.
   */
  static withMembers(voters: number[], learners: number[] = []): MemoryStorage {
    const s = new MemoryStorage();
    const b = bootstrapState(voters, learners);
    s.applySnapshot(b.snapshot);
    s.setHardState(b.hardState);
    return s;
  }

  /** The hard state and membership saved with {@link setHardState}, {@link setConfState} and {@link applySnapshot} (copies). */
  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: structuredCloneConfState(this.confState) };
  }

  /** Saves the hard state. */
  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  /** Saves the membership that is in effect after applying a configuration change. */
  setConfState(cs: ConfState): void {
    this.confState = structuredCloneConfState(cs);
  }

  /**
   * Entries in `[lo, hi)`, at most `maxBytes` of them by encoding size but
   * always at least one.
   * @throws CompactedError if `lo` is not after the snapshot index
   * @throws UnavailableError if `hi` is beyond `lastIndex() + 1`
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    // Only the dummy entry: nothing to return.
    if (this.ents.length === 1) throw new UnavailableError(lo, this.lastIndex());
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  /**
   * The term of entry `i`; for the snapshot index, the snapshot's term.
   * @throws CompactedError if `i` is before the snapshot index
   * @throws UnavailableError if `i > lastIndex()`
   */
  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError(i, offset + 1);
    if (i - offset >= this.ents.length) throw new UnavailableError(i, this.lastIndex());
    return this.ents[i - offset]!.term;
  }

  /** The index of the last entry held, or the snapshot index when none is. */
  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  /** The index of the first entry held: the snapshot (compaction) index plus one. */
  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  /**
   * The latest snapshot recorded with {@link createSnapshot} or installed
   * with {@link applySnapshot}.
   * @throws SnapshotTemporarilyUnavailableError if the log was compacted past it
   */
  snapshot(): Snapshot {
    // Compacted past the latest snapshot (the application keeps its state
    // durable on its own and builds snapshots on demand): a newer one is needed.
    if (this.snap.metadata.index < this.ents[0]!.index) throw new SnapshotTemporarilyUnavailableError();
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing one). */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (current >= snap.metadata.index) throw new SnapshotOutOfDateError(snap.metadata.index, current);
    this.snap = snap;
    this.confState = structuredCloneConfState(snap.metadata.confState);
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 0, data: EMPTY_BYTES }];
  }

  /**
   * Records a snapshot of the application state taken at applied index `i`
   * (which must still be in the log). Compaction is separate: see {@link compact}.
   */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.snap.metadata.index;
    if (i <= current) throw new SnapshotOutOfDateError(i, current);
    const offset = this.ents[0]!.index;
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    this.snap = { metadata: { index: i, term: this.ents[i - offset]!.term, confState }, data };
    return this.snap;
  }

  /**
   * Discards entries up to and including `compactIndex`. The application must
   * not compact beyond what it has applied and made durable: covered by a
   * snapshot, or kept durably by the application itself. Compacted past the
   * latest snapshot, {@link snapshot} throws SnapshotTemporarilyUnavailableError
   * until a newer one is created.
   */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new UnavailableError(compactIndex, this.lastIndex());
    const i = compactIndex - offset;
    const kept = this.ents.slice(i);
    kept[0] = { term: this.ents[i]!.term, index: this.ents[i]!.index, type: 0, data: EMPTY_BYTES };
    this.ents = kept;
  }

  /**
   * Appends entries, first truncating any entries at or after the first new
   * index (a leader overwriting a follower's conflicting suffix). Entries
   * already compacted are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    let ents = entries;
    if (first > entries[0]!.index) ents = entries.slice(first - entries[0]!.index);
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError(`missing log entry: last index ${this.lastIndex()}, appending at ${ents[0]!.index}`);
    }
    // Truncate a conflicting suffix in place, then append: no copy of the kept prefix.
    if (offset < this.ents.length) this.ents.length = offset;
    for (const e of ents) this.ents.push(e);
  }
}

function structuredCloneConfState(cs: ConfState): ConfState {
  return {
    voters: [...cs.voters],
    learners: [...cs.learners],
    votersOutgoing: [...cs.votersOutgoing],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}
