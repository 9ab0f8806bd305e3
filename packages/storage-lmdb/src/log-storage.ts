import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  CompactedError,
  type ConfState,
  EMPTY_BYTES,
  type Entry,
  type HardState,
  type InitialState,
  type LogStorage,
  type Snapshot,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
  emptyConfState,
  entryEncodingSize,
} from '@raftkit/core';
import { decodeEntry, decodeEntryTerm, encodeEntry } from './entry-codec.js';
import { type LmdbTables, edgeKey } from './environment.js';
import { StorageCorruptionError, StorageUsageError } from './errors.js';
import { logKey, logKeyIndex } from './log-key.js';
import { RecentEntries } from './recent-entries.js';
import { type LogBoundary, type MetaTable } from './meta-table.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { StorageHealth } from './storage-health.js';
import { requireEntryRun, requireHardState, requireInteger, requireSnapshotMetadata } from './validate.js';

/**
 * What one Ready asks to persist, in the order the Ready contract applies
 * it: an incoming snapshot (its metadata; the bytes are in a snapshot file),
 * then entries (replacing stored entries from the first new index on), then
 * the hard state. A `Ready` from `RawNode.ready()` can be passed as is.
 */
export interface PersistRequest {
  /** A snapshot received from the leader to install: the log is replaced by its boundary. */
  snapshot?: Snapshot | undefined;
  /** Entries to append, truncating any stored entries at or after the first one's index. */
  entries?: readonly Entry[] | undefined;
  /** The hard state to save. */
  hardState?: HardState | undefined;
  /**
   * Wait for the write to reach the disk before resolving (default true).
   * Only a write that changes nothing a member promises — a commit index
   * alone (the core's `Ready.mustSync` is false) — may skip it: the commit
   * index is rebuilt from a quorum after a crash. Such a write is still
   * committed before resolving and flushed in the background, in order
   * with the writes that follow. A request with entries, a snapshot, or a
   * new term or vote is always durable, whatever this says.
   */
  sync?: boolean | undefined;
}

/** What {@link LmdbLogStorage.checkIntegrity} found. */
export interface LogIntegrityReport {
  firstIndex: number;
  lastIndex: number;
  /** Entries read and verified. */
  entries: number;
}

/** The parts of a store the log is built on; see `openRaftStorage`. */
export interface LogStorageParts {
  dataDir: string;
  tables: LmdbTables;
  meta: MetaTable;
  snapshots: SnapshotStore;
  health: StorageHealth;
  /** Entries deleted per transaction when compacting. */
  compactionBatch: number;
}

/**
 * The durable Raft log on LMDB: the core's synchronous {@link LogStorage}
 * reads, answered from LMDB and a few cached positions, plus the writes the
 * Ready contract needs ({@link persist}) and compaction ({@link compact}).
 *
 * Reads reflect what has been committed: every write is one LMDB
 * transaction, and the cached positions (first and last index, last term,
 * hard state) move once it commits, a little before it is flushed and
 * {@link persist} resolves. Reads may thus show a write a machine crash
 * would still undo; nothing may be acknowledged on it until `persist`
 * resolves. A flush that never finishes (lmdb-js does not report a failed
 * sync to the caller) fails the store after `flushTimeoutMs`, so the view
 * ahead of the disk is never served for long. An entry that fails its
 * checksum, or is missing from inside the log, raises
 * {@link StorageCorruptionError} and the store then refuses all further use.
 *
 * Obtain one from `openRaftStorage` (it is `storage.log`).
 */
export class LmdbLogStorage implements LogStorage {
  private boundary: LogBoundary = { index: 0, term: 0 };
  private last = 0;
  private lastTerm = 0;
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  /** The newest entries written, served from memory (see {@link RecentEntries}). */
  private readonly recent = new RecentEntries();
  /** The persist being written, which the next one waits for. */
  private persisting: Promise<void> | undefined;
  /** The running deletion of compacted entries, if any. */
  private sweeping: Promise<void> | undefined;

  private constructor(private readonly parts: LogStorageParts) {}

  /**
   * Loads the log from the environment (whose format `RaftStorage.open`
   * checked first): finishes a compaction a crash interrupted, and verifies the log is contiguous
   * (its entry count matches its extent) and its last entry intact.
   * @throws StorageCorruptionError when it is not
   */
  static async open(parts: LogStorageParts): Promise<LmdbLogStorage> {
    const log = new LmdbLogStorage(parts);
    log.boundary = parts.meta.get('boundary') ?? { index: 0, term: 0 };
    log.hard = parts.meta.get('hardState') ?? { term: 0, vote: 0, commit: 0 };
    await log.sweep();
    log.loadExtent();
    return log;
  }

  // ---- LogStorage ----

  /** The saved hard state, and the membership as of the applied index. */
  initialState(): InitialState {
    this.parts.health.check();
    return { hardState: { ...this.hard }, confState: this.confState() };
  }

  /**
   * See {@link LogStorage.entries}. The newest entries written come from
   * memory; every entry read from disk is checksum-verified.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    this.parts.health.check();
    if (lo <= this.boundary.index) throw new CompactedError(lo, this.boundary.index + 1);
    if (hi > this.last + 1) throw new UnavailableError(hi - 1, this.last);
    if (this.last === this.boundary.index) throw new UnavailableError(lo, this.last);
    if (hi < lo) throw new StorageUsageError(`entries(${lo}, ${hi}): hi is ${hi}; expected at least lo (${lo})`);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.readEntry(i);
      size += entryEncodingSize(e);
      // Same sizing as the core's limitSize: always one entry, then as many as fit.
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** See {@link LogStorage.term}; the boundary and last terms come from memory, others are read and verified. */
  term(i: number): number {
    this.parts.health.check();
    if (i === this.boundary.index) return this.boundary.term;
    if (i < this.boundary.index) throw new CompactedError(i, this.boundary.index + 1);
    if (i > this.last) throw new UnavailableError(i, this.last);
    if (i === this.last) return this.lastTerm;
    const kept = this.recent.get(i);
    if (kept) return kept.term;
    const key = logKey(i);
    const value = this.parts.tables.log.getBinaryFast(key);
    if (value === undefined) throw this.corrupt(i, 'the entry is missing from inside the log');
    const term = decodeEntryTerm(key, value);
    if (typeof term === 'string') throw this.corrupt(i, term);
    return term;
  }

  /** See {@link LogStorage.lastIndex}. */
  lastIndex(): number {
    this.parts.health.check();
    return this.last;
  }

  /** See {@link LogStorage.firstIndex}. */
  firstIndex(): number {
    this.parts.health.check();
    return this.boundary.index + 1;
  }

  /**
   * Metadata of the latest durable snapshot, with empty `data`: the bytes
   * are streamed from `storage.snapshots` by the transport.
   * @throws SnapshotTemporarilyUnavailableError when the log is compacted
   *   but no stored snapshot covers its boundary (the application must take
   *   a new one); the leader retries later.
   */
  snapshot(): Snapshot {
    this.parts.health.check();
    const latest = this.parts.snapshots.latest();
    if (latest && latest.index >= this.boundary.index) return { metadata: cloneMetadata(latest), data: EMPTY_BYTES };
    if (this.boundary.index === 0) return { metadata: { index: 0, term: 0, confState: this.confState() }, data: EMPTY_BYTES };
    throw new SnapshotTemporarilyUnavailableError();
  }

  // ---- writes ----

  /**
   * Persists one Ready's worth of state in one LMDB transaction and
   * resolves once it is on disk; only then may the caller send
   * `messagesAfterPersist` and call `advance()`.
   *
   * The transaction is committed and flushed on lmdb-js's write thread
   * (with `overlappingSync`, the default, the flush runs after the commit,
   * so a later transaction can commit while it is under way), leaving the
   * event loop free to receive and send meanwhile. Writes queued in the same
   * turn of the event loop — a `stateMachine.apply` started right after this
   * call, say — join the same transaction and share its flush. Calls are
   * ordered: one made before the previous resolved is validated and written
   * after it. The entries are readable once the commit is done, a little
   * before the promise resolves.
   *
   * @throws StorageUsageError (as a rejection) for input that would break
   *   the log: a gap before the new entries, non-consecutive indexes, a
   *   term or commit that moves backwards, overwriting committed entries,
   *   or a snapshot whose bytes are nowhere
   * @throws SnapshotOutOfDateError for a snapshot not newer than the log boundary
   */
  async persist(request: PersistRequest): Promise<void> {
    await this.persistWith(request);
  }

  /**
   * {@link persist}, with extra writes in the same transaction: the
   * bootstrap records the state machine's applied index with it, and
   * `RaftStorage.persistAndApply` applies committed entries. Meant for this
   * package; applications call {@link persist}.
   */
  async persistWith(request: PersistRequest, alsoInTransaction?: () => void): Promise<void> {
    while (this.persisting) await this.persisting.catch(() => {});
    this.parts.health.check();
    const plan = this.plan(request);
    const done = this.writeQueued(plan, plan.durable, alsoInTransaction);
    this.persisting = done;
    try {
      await done;
    } finally {
      if (this.persisting === done) this.persisting = undefined;
    }
  }

  /** Queues the plan's writes on the write thread; resolves once committed and, when `durable`, flushed. */
  private async writeQueued(plan: PersistPlan, durable: boolean, alsoInTransaction: (() => void) | undefined): Promise<void> {
    const { health, tables } = this.parts;
    await health.writeQueued('persist raft state', tables.root, () => {
      this.writePlan(plan);
      alsoInTransaction?.();
    });
    this.adopt(plan);
    if (durable) await health.flushed(tables.root);
  }

  private writePlan(plan: PersistPlan): void {
    const { tables, meta } = this.parts;
    if (plan.install) {
      // Drops every entry at once (pages are freed, not visited one by one).
      tables.log.clearSync();
      meta.put('boundary', plan.install.boundary);
      meta.put('confState', plan.install.confState);
    }
    for (let i = plan.truncateFrom; i <= plan.truncateTo; i++) tables.log.removeSync(logKey(i));
    for (const e of plan.entries) {
      const key = logKey(e.index);
      // MDB_APPEND: faster, and LMDB refuses it if a larger key still exists.
      tables.log.putSync(key, encodeEntry(e, key), { append: true });
    }
    if (plan.hardState) meta.put('hardState', plan.hardState);
  }

  /**
   * Moves the cached view of the log to what a committed plan wrote. The
   * boundary moves only with a snapshot install: a compaction may have
   * moved it while the plan waited for the write thread.
   */
  private adopt(plan: PersistPlan): void {
    if (plan.install) {
      this.boundary = plan.boundary;
      this.recent.clear();
    }
    if (plan.truncateFrom <= plan.truncateTo) this.recent.truncateFrom(plan.truncateFrom);
    this.recent.append(plan.entries);
    this.last = plan.last;
    this.lastTerm = plan.lastTerm;
    if (plan.hardState) this.hard = { ...plan.hardState };
  }

  /**
   * Discards the entries up to and including `index`, keeping the term of
   * `index` as the new boundary. A snapshot at or beyond `index` must be
   * durable first, or the state machine kept in this environment must have
   * applied `index` (then `snapshot()` throws SnapshotTemporarilyUnavailableError
   * until a snapshot at or beyond the boundary is taken, which the leader
   * asks for when a follower needs one).
   *
   * The boundary moves at once in one durable transaction; the entries are
   * then deleted in batches that yield to the event loop between them, so
   * dropping a long prefix does not stall the node. A crash mid-way is
   * finished on the next open.
   *
   * @throws CompactedError if `index` is already compacted
   * @throws UnavailableError if `index` is beyond the last index
   * @throws StorageUsageError if neither a durable snapshot nor the
   * environment's applied state machine ({@link StateMachineStore}) covers `index`
   */
  async compact(index: number): Promise<void> {
    this.parts.health.check();
    requireInteger('compact index', index, 0);
    if (index <= this.boundary.index) throw new CompactedError(index, this.boundary.index + 1);
    if (index > this.last) throw new UnavailableError(index, this.last);
    // Either a durable snapshot covers the entries, or the state machine
    // kept in this environment (StateMachineStore) has applied them: LMDB
    // commits in order, so no crash can keep this compaction and lose that
    // application. Without either the entries are the only copy.
    const covering = this.parts.snapshots.latest();
    const applied = this.parts.meta.get('applied')?.index ?? 0;
    if ((!covering || covering.index < index) && applied < index) {
      throw new StorageUsageError(
        `cannot compact the log through index ${index}: the latest durable snapshot is ${covering ? `at index ${covering.index}` : 'missing'} and the state machine in this environment has applied through ${applied}; apply or snapshot through ${index} first`,
      );
    }
    const boundary = { index, term: this.term(index) };
    const { tables, meta } = this.parts;
    this.parts.health.write('compact the log', () =>
      tables.root.transactionSync(() => {
        meta.put('boundary', boundary);
        this.deleteThrough(index);
      }),
    );
    this.boundary = boundary;
    await this.sweep();
  }

  /**
   * Reads and verifies every entry (checksums and contiguity). Costs a full
   * scan; for tests, tools and suspicious operators.
   * @throws StorageCorruptionError at the first damaged or missing entry
   */
  checkIntegrity(): LogIntegrityReport {
    this.parts.health.check();
    let prevTerm = this.boundary.term;
    for (let i = this.boundary.index + 1; i <= this.last; i++) {
      const e = this.readEntry(i);
      if (e.term < prevTerm) throw this.corrupt(i, `its term ${e.term} is lower than the term ${prevTerm} before it`);
      prevTerm = e.term;
    }
    if (this.last > this.boundary.index && prevTerm !== this.lastTerm) {
      throw this.corrupt(this.last, `its term ${prevTerm} differs from the cached last term ${this.lastTerm}`);
    }
    return { firstIndex: this.boundary.index + 1, lastIndex: this.last, entries: this.last - this.boundary.index };
  }

  /** Resolves once compacted entries are physically deleted (or the store closed). */
  whenCompacted(): Promise<void> {
    return this.sweeping ?? Promise.resolve();
  }

  // ---- internals ----

  /** The membership saved with the applied state (or by a snapshot install, or the bootstrap). */
  private confState(): ConfState {
    return this.parts.meta.get('confState') ?? emptyConfState();
  }

  private readEntry(i: number): Entry {
    const kept = this.recent.get(i);
    if (kept) return kept;
    const key = logKey(i);
    const value = this.parts.tables.log.getBinaryFast(key);
    if (value === undefined) throw this.corrupt(i, 'the entry is missing from inside the log');
    const e = decodeEntry(i, key, value);
    if (typeof e === 'string') throw this.corrupt(i, e);
    return e;
  }

  private corrupt(index: number | undefined, detail: string): StorageCorruptionError {
    return this.parts.health.fail(new StorageCorruptionError(this.parts.dataDir, index, detail));
  }

  private plan(request: PersistRequest): PersistPlan {
    let boundary = this.boundary;
    let last = this.last;
    let lastTerm = this.lastTerm;
    let install: PersistPlan['install'];
    let truncateFrom = 1;
    let truncateTo = 0;
    if (request.snapshot) {
      const m = requireSnapshotMetadata('snapshot.metadata', request.snapshot.metadata);
      if (m.index <= boundary.index) throw new SnapshotOutOfDateError(m.index, boundary.index);
      this.ensureSnapshotFile(request.snapshot);
      boundary = { index: m.index, term: m.term };
      last = m.index;
      lastTerm = m.term;
      install = { boundary, confState: m.confState };
    }
    const given = request.entries ?? [];
    requireEntryRun('entries', given);
    // Entries the snapshot (or an earlier compaction) already covers are skipped, as MemoryStorage does.
    const skip = given.length > 0 ? Math.max(0, boundary.index + 1 - given[0]!.index) : 0;
    const entries = skip > 0 ? given.slice(skip) : given;
    if (entries.length > 0) {
      const first = entries[0]!;
      if (first.index > last + 1) {
        throw new StorageUsageError(`entries start at index ${first.index} but the log ends at ${last}; expected at most ${last + 1} (no gaps)`);
      }
      const prevTerm = first.index - 1 === boundary.index ? boundary.term : first.index - 1 === last ? lastTerm : this.term(first.index - 1);
      if (first.term < prevTerm) {
        throw new StorageUsageError(`entry ${first.index} has term ${first.term}; expected at least ${prevTerm}, the term of the entry before it`);
      }
      if (first.index <= last) {
        if (!install && first.index <= this.hard.commit) {
          throw new StorageUsageError(`entries from index ${first.index} would overwrite committed entries (commit index ${this.hard.commit})`);
        }
        truncateFrom = first.index;
        truncateTo = last;
      }
      const end = entries[entries.length - 1]!;
      last = end.index;
      lastTerm = end.term;
    }
    let hardState: HardState | undefined;
    if (request.hardState) {
      const hs = requireHardState('hardState', request.hardState);
      if (hs.term < this.hard.term) throw new StorageUsageError(`hardState.term is ${hs.term}; expected at least the stored term ${this.hard.term}`);
      if (hs.term === this.hard.term && this.hard.vote !== 0 && hs.vote !== this.hard.vote) {
        throw new StorageUsageError(`hardState.vote is ${hs.vote}; the vote of term ${hs.term} was already given to ${this.hard.vote} and cannot change`);
      }
      if (hs.commit > last) throw new StorageUsageError(`hardState.commit is ${hs.commit}; expected at most the last index ${last}`);
      hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    }
    // Only a commit index alone may skip the flush: entries, a snapshot, a
    // term or a vote are promises to other members once they are sent.
    const commitOnly = !install && given.length === 0 && (!hardState || (hardState.term === this.hard.term && hardState.vote === this.hard.vote));
    const durable = request.sync !== false || !commitOnly;
    return { boundary, last, lastTerm, install, truncateFrom, truncateTo, entries, hardState, durable };
  }

  /** A snapshot may be installed only if its bytes are durable in a snapshot file. */
  private ensureSnapshotFile(snapshot: Snapshot): void {
    const { snapshots } = this.parts;
    if (snapshots.find(snapshot.metadata)) return;
    if (snapshot.data.length === 0) {
      throw new StorageUsageError(
        `snapshot at index ${snapshot.metadata.index} term ${snapshot.metadata.term} has no file in ${snapshots.dir} and carries no bytes; ` +
          'write the received bytes with storage.snapshots.createWriter() before stepping the snapshot message',
      );
    }
    snapshots.writeSync(snapshot.metadata, snapshot.data);
  }

  /** Finds the last entry and checks that the log between the boundary and it has no gap. */
  private loadExtent(): void {
    const { log } = this.parts.tables;
    const firstKey = edgeKey(log);
    if (firstKey === undefined) {
      this.last = this.boundary.index;
      this.lastTerm = this.boundary.term;
    } else {
      const lastKey = edgeKey(log, true)!;
      const first = this.keyIndex(firstKey);
      const last = this.keyIndex(lastKey);
      if (first !== this.boundary.index + 1) {
        throw this.corrupt(this.boundary.index + 1, `the entry is missing: the log should start there (after the boundary ${this.boundary.index}) but starts at ${first}`);
      }
      // LMDB keeps the entry count, so contiguity costs nothing: n distinct
      // indexes spanning exactly n positions have no gap.
      const count = (log.getStats() as { entryCount: number }).entryCount;
      if (count !== last - first + 1) this.throwFirstGap(first, last);
      this.last = last;
      const key = logKey(last);
      const term = decodeEntryTerm(key, log.getBinary(key)!);
      if (typeof term === 'string') throw this.corrupt(last, term);
      this.lastTerm = term;
    }
    if (this.hard.commit > this.last) {
      throw this.corrupt(undefined, `the stored commit index ${this.hard.commit} is beyond the last log index ${this.last}`);
    }
  }

  private throwFirstGap(first: number, last: number): never {
    let expected = first;
    for (const key of this.parts.tables.log.getKeys({})) {
      const index = this.keyIndex(key);
      if (index !== expected) throw this.corrupt(expected, `the entry is missing from inside the log [${first}, ${last}]`);
      expected += 1;
    }
    throw this.corrupt(undefined, `the log [${first}, ${last}] has an entry count that does not match its extent`);
  }

  private keyIndex(key: Uint8Array): number {
    const index = logKeyIndex(key);
    if (index === undefined) throw this.corrupt(undefined, `the log table holds a ${key.length}-byte key that is not an 8-byte index`);
    return index;
  }

  /** Deletes the remaining compacted entries in batches, yielding between batches. */
  private sweep(): Promise<void> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<void> {
    const { tables, health, compactionBatch } = this.parts;
    while (!health.isClosed) {
      const deleted = health.write('compact the log', () => tables.root.transactionSync(() => this.deleteThrough(this.boundary.index)));
      if (deleted < compactionBatch) return;
      await yieldToEventLoop();
    }
  }

  /** Deletes up to one batch of entries at or below `index`; returns how many. */
  private deleteThrough(index: number): number {
    const { log } = this.parts.tables;
    // Copied out first: deleting under a live cursor would move it.
    const keys = Array.from(log.getKeys({ end: logKey(index + 1), limit: this.parts.compactionBatch }), (k) => Buffer.from(k));
    for (const key of keys) log.removeSync(key);
    return keys.length;
  }
}

interface PersistPlan {
  boundary: LogBoundary;
  last: number;
  lastTerm: number;
  install: { boundary: LogBoundary; confState: ConfState } | undefined;
  /** Stored entries `[truncateFrom, truncateTo]` are replaced (empty range when `from > to`). */
  truncateFrom: number;
  truncateTo: number;
  entries: readonly Entry[];
  hardState: HardState | undefined;
  /** Wait for the flush: false only for `sync: false` with nothing but a commit index to write. */
  durable: boolean;
}

function cloneMetadata(m: Snapshot['metadata']): Snapshot['metadata'] {
  const cs = m.confState;
  return {
    index: m.index,
    term: m.term,
    confState: {
      voters: [...cs.voters],
      learners: [...cs.learners],
      votersOutgoing: [...cs.votersOutgoing],
      learnersNext: [...cs.learnersNext],
      autoLeave: cs.autoLeave,
    },
  };
}
