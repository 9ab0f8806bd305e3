import { type ConfState, type Entry, type SnapshotMetadata, emptyConfState } from '@raftkit/core';
import type { LmdbTables } from './environment.js';
import { StorageCorruptionError, StorageUsageError } from './errors.js';
import type { LmdbLogStorage } from './log-storage.js';
import type { MetaTable } from './meta-table.js';
import { type StateRecord, StateSnapshotDecoder, StateSnapshotEncoder } from './state-snapshot-codec.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { SnapshotFileInfo } from './snapshot-writer.js';
import type { StorageHealth } from './storage-health.js';
import { describe, requireConfState, requireEntryRun } from './validate.js';

/** LMDB's limit on key length with the default page size. */
export const MAX_STATE_KEY_BYTES = 1978;

/** Bounds of a range read over the state table; keys compare bytewise. */
export interface StateRangeOptions {
  /** First key (inclusive). Default: the smallest key. */
  start?: Uint8Array;
  /** Last key (exclusive). Default: past the largest key. */
  end?: Uint8Array;
  /** Walk from the end. With `reverse`, `start` is the upper bound and `end` the lower one. */
  reverse?: boolean;
  /** Most records to return. */
  limit?: number;
}

/** Reads of the application state. Keys and values are bytes; returned arrays are copies the caller owns. */
export interface StateMachineReader {
  /** The value at `key`, or `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** The records with keys in the range, in key order. */
  range(options?: StateRangeOptions): Iterable<StateRecord>;
}

/** Reads and writes of the application state, valid only inside an `apply` callback. */
export interface StateMachineWriter extends StateMachineReader {
  /** Sets `key` to `value`. */
  put(key: Uint8Array, value: Uint8Array): void;
  /** Deletes `key`; returns whether it existed. */
  remove(key: Uint8Array): boolean;
}

/**
 * Applies one committed entry to the state through `state`. Return the
 * membership when the entry was a configuration change (what
 * `RawNode.applyConfChange` returned) so it is saved with the applied index.
 * Must be deterministic and synchronous.
 */
export type ApplyEntry = (entry: Entry, state: StateMachineWriter) => ConfState | void;

/** The parts of a store the state machine helper is built on; see `openRaftStorage`. */
export interface StateMachineParts {
  dataDir: string;
  tables: LmdbTables;
  meta: MetaTable;
  health: StorageHealth;
  log: LmdbLogStorage;
  snapshots: SnapshotStore;
  /** Size of the chunks of snapshots it writes. */
  snapshotChunkBytes: number;
}

/** An {@link StateMachineStore.apply} split around a transaction the caller owns. */
export interface PreparedApply {
  /** Applies the entries and records the applied index; call inside the write transaction. */
  write(): void;
  /** Call once that transaction is durable. */
  done(): void;
}

/** Records written per transaction while restoring a snapshot. */
const RESTORE_BATCH_RECORDS = 4096;

/**
 * Application state kept next to the Raft log, in the same LMDB
 * environment, so that applying entries and recording how far they were
 * applied happen in one transaction: after a crash the state and the
 * applied index agree, and a restart neither re-applies an entry nor skips
 * one. The membership that results from applying a configuration change is
 * saved in that same transaction, so `log.initialState()` returns the
 * membership as of the applied index.
 *
 * On restart: call {@link restoreIfNeeded}, then start the `RawNode` with
 * `applied: stateMachine.appliedIndex()`.
 *
 * Obtain one from `openRaftStorage` (it is `storage.stateMachine`).
 */
export class StateMachineStore implements StateMachineReader {
  private applied: number;
  /** Set while a snapshot restore is under way or was interrupted by a crash. */
  private restoring: SnapshotMetadata | undefined;

  /** Loads the applied index and any interrupted restore. */
  constructor(private readonly parts: StateMachineParts) {
    this.applied = parts.meta.get('applied')?.index ?? 0;
    this.restoring = parts.meta.get('restoring');
  }

  /** The index of the last entry applied; pass it as `RaftConfig.applied`. */
  appliedIndex(): number {
    this.parts.health.check();
    return this.applied;
  }

  /**
   * True when the state must be restored from a snapshot before use: a
   * restore was interrupted, or the log was replaced by a snapshot the state
   * has not caught up with (a crash between installing it and restoring).
   */
  needsRestore(): boolean {
    this.parts.health.check();
    return this.restoring !== undefined || this.applied < this.parts.log.firstIndex() - 1;
  }

  /** The value at `key` as of the last applied entry, or `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.parts.health.check();
    requireKey('key', key);
    return this.parts.tables.state.getBinary(key);
  }

  /** The records in the range, read lazily from one consistent view. */
  range(options: StateRangeOptions = {}): Iterable<StateRecord> {
    this.parts.health.check();
    return readRange(this.parts.tables, options);
  }

  /**
   * Applies committed entries in one transaction, calling `applyEntry` for
   * each in order, and records the applied index (and the membership, if
   * an entry changed it) in the same transaction. Entries already applied
   * are skipped, so replaying a batch after a restart is harmless.
   *
   * The transaction runs on lmdb-js's write thread, sharing it with writes
   * queued in the same turn of the event loop (a `log.persist` called just
   * before, say). The writes are on disk when the promise resolves; with
   * `sync: false` it resolves once they are committed (readable) and they
   * are flushed in the background: a machine crash may then undo the latest
   * applications together with their applied index, and they are applied
   * again from the log, which is durable. If `applyEntry` throws, nothing
   * of the batch is written and the store stops (the application's
   * in-memory state can no longer be trusted).
   *
   * @throws StorageUsageError (as a rejection) if the entries leave a gap after the applied index
   */
  async apply(entries: readonly Entry[], applyEntry: ApplyEntry, options: { sync?: boolean } = {}): Promise<void> {
    const batch = this.prepareApply(entries, applyEntry);
    const { tables, health } = this.parts;
    await health.writeQueued('apply committed entries', tables.root, () => batch.write());
    batch.done();
    if (options.sync !== false) await health.flushed(tables.root);
  }

  /**
   * Validates a batch for {@link apply} and returns its two halves: `write`
   * runs the callbacks and records the applied index inside a write
   * transaction the caller opened, `done` updates this object once that
   * transaction is durable. `RaftStorage.persistAndApply` uses it to apply in
   * the same transaction as the persist.
   */
  prepareApply(entries: readonly Entry[], applyEntry: ApplyEntry): PreparedApply {
    this.parts.health.check();
    if (this.needsRestore()) throw new StorageUsageError('cannot apply entries: the state machine must first be restored from a snapshot (call restoreIfNeeded())');
    requireEntryRun('entries', entries);
    const skip = entries.length > 0 ? Math.max(0, this.applied + 1 - entries[0]!.index) : 0;
    const pending = skip > 0 ? entries.slice(skip) : entries;
    if (pending.length === 0) return { write: () => {}, done: () => {} };
    if (pending[0]!.index !== this.applied + 1) {
      throw new StorageUsageError(`cannot apply entry ${pending[0]!.index}: the applied index is ${this.applied}; expected entry ${this.applied + 1} next`);
    }
    const last = pending[pending.length - 1]!.index;
    const { tables, meta } = this.parts;
    return {
      write: () => {
        const writer = new TransactionWriter(tables);
        let confState: ConfState | undefined;
        try {
          for (const e of pending) {
            const cs = applyEntry(e, writer);
            if (cs) confState = requireConfState(`membership returned for entry ${e.index}`, cs);
          }
        } finally {
          writer.close();
        }
        meta.put('applied', { index: last });
        if (confState) meta.put('confState', confState);
      },
      done: () => {
        this.applied = last;
      },
    };
  }

  /**
   * Writes a snapshot of the state as of the applied index (with the
   * membership saved alongside it) and returns the durable file. Reads one
   * consistent LMDB view, in batches, so the node keeps applying meanwhile.
   * When the newest stored snapshot is already at or beyond the applied
   * index (one received from the leader and not installed yet, say), that
   * one is returned instead.
   */
  async createSnapshot(): Promise<SnapshotFileInfo> {
    this.parts.health.check();
    if (this.needsRestore()) throw new StorageUsageError('cannot take a snapshot: the state machine must first be restored from a snapshot');
    const { tables, meta, snapshots, log, snapshotChunkBytes } = this.parts;
    const txn = tables.root.useReadTransaction();
    try {
      const applied = meta.get('applied', txn)?.index ?? 0;
      if (applied === 0) throw new StorageUsageError('cannot take a snapshot: nothing has been applied yet');
      const latest = snapshots.latest();
      if (latest && latest.index >= applied) return snapshots.find(latest)!;
      const metadata: SnapshotMetadata = { index: applied, term: log.term(applied), confState: meta.get('confState', txn) ?? emptyConfState() };
      const writer = await snapshots.createWriter(metadata);
      try {
        const encoder = new StateSnapshotEncoder(snapshotChunkBytes);
        let after: Uint8Array | undefined;
        for (;;) {
          // A fresh cursor per batch, none held across the awaits below.
          const batch = Array.from(
            tables.state.getRange({ transaction: txn, limit: RESTORE_BATCH_RECORDS, ...(after ? { start: after, exclusiveStart: true } : {}) }),
            (r) => ({ key: Uint8Array.prototype.slice.call(r.key), value: Uint8Array.prototype.slice.call(r.value) }),
          );
          for (const record of batch) {
            const chunk = encoder.add(record);
            if (chunk) await writer.write(chunk);
          }
          if (batch.length < RESTORE_BATCH_RECORDS) break;
          after = batch[batch.length - 1]!.key;
        }
        await writer.write(encoder.finish());
        return await writer.commit();
      } catch (e) {
        await writer.abort();
        throw e;
      }
    } finally {
      txn.done();
    }
  }

  /**
   * Replaces the state with the snapshot at `at` (already persisted into the
   * log with `log.persist({ snapshot })`), streaming it in batches. The
   * restore is marked in the store first, so a crash mid-way is seen by
   * {@link needsRestore} on the next open; the applied index and membership
   * move to the snapshot's in the final transaction.
   */
  async restoreFromSnapshot(at: { index: number; term: number }): Promise<void> {
    this.parts.health.check();
    const { tables, meta, health, log, snapshots } = this.parts;
    if (at.index < log.firstIndex() - 1) {
      throw new StorageUsageError(`cannot restore the snapshot at index ${at.index}: the log starts after index ${log.firstIndex() - 1}, so entries in between would be missing`);
    }
    if (at.index > log.lastIndex()) {
      throw new StorageUsageError(`cannot restore the snapshot at index ${at.index}: the log ends at ${log.lastIndex()}; persist the snapshot into the log first`);
    }
    const reader = await snapshots.openReader(at);
    const metadata = reader.metadata;
    try {
      health.write('begin a snapshot restore', () =>
        tables.root.transactionSync(() => {
          meta.put('restoring', metadata);
          tables.state.clearSync();
        }),
      );
      this.restoring = metadata;
      const decoder = new StateSnapshotDecoder(`${metadata.term}/${metadata.index}`);
      let batch: StateRecord[] = [];
      const flush = (): void => {
        const records = batch;
        batch = [];
        health.write('restore a snapshot', () =>
          tables.root.transactionSync(() => {
            for (const r of records) tables.state.putSync(r.key, r.value);
          }),
        );
      };
      for await (const chunk of reader) {
        for (const record of decoder.push(chunk)) {
          batch.push(record);
          if (batch.length >= RESTORE_BATCH_RECORDS) flush();
        }
      }
      decoder.end();
      flush();
    } finally {
      await reader.close();
    }
    health.write('finish a snapshot restore', () =>
      tables.root.transactionSync(() => {
        meta.put('applied', { index: metadata.index });
        meta.put('confState', metadata.confState);
        meta.remove('restoring');
      }),
    );
    this.applied = metadata.index;
    this.restoring = undefined;
  }

  /**
   * Restores from the newest snapshot that fits the log when
   * {@link needsRestore} says so. Call once on startup, before creating
   * the `RawNode`. Returns whether a restore happened.
   * @throws StorageCorruptionError when no stored snapshot can bring the state up to the log
   */
  async restoreIfNeeded(): Promise<boolean> {
    if (!this.needsRestore()) return false;
    const { log, snapshots, dataDir } = this.parts;
    const lo = log.firstIndex() - 1;
    const hi = log.lastIndex();
    const usable = snapshots.list().find((f) => f.metadata.index >= lo && f.metadata.index <= hi);
    if (!usable) {
      throw new StorageCorruptionError(dataDir, undefined, `the state machine needs a snapshot between index ${lo} and ${hi} to catch up with the log, and none is stored`);
    }
    await this.restoreFromSnapshot(usable.metadata);
    return true;
  }
}

/** State access bound to the write transaction of one `apply` call. */
class TransactionWriter implements StateMachineWriter {
  private open = true;

  constructor(private readonly tables: LmdbTables) {}

  get(key: Uint8Array): Uint8Array | undefined {
    this.requireOpen();
    requireKey('key', key);
    return this.tables.state.getBinary(key);
  }

  range(options: StateRangeOptions = {}): Iterable<StateRecord> {
    this.requireOpen();
    return Array.from(readRange(this.tables, options));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.requireOpen();
    requireKey('key', key);
    if (!(value instanceof Uint8Array)) throw new StorageUsageError(`value is ${describe(value)}; expected a Uint8Array`);
    this.tables.state.putSync(key, value);
  }

  remove(key: Uint8Array): boolean {
    this.requireOpen();
    requireKey('key', key);
    return this.tables.state.removeSync(key);
  }

  close(): void {
    this.open = false;
  }

  private requireOpen(): void {
    if (!this.open) throw new StorageUsageError('the state writer was used after its apply() callback returned; it is valid only inside the callback');
  }
}

function* readRange(tables: LmdbTables, options: StateRangeOptions): Generator<StateRecord> {
  if (options.start !== undefined) requireKey('range start', options.start);
  if (options.end !== undefined) requireKey('range end', options.end);
  const records = tables.state.getRange({
    ...(options.start !== undefined ? { start: options.start } : {}),
    ...(options.end !== undefined ? { end: options.end } : {}),
    ...(options.reverse ? { reverse: true } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  for (const r of records) yield { key: Uint8Array.prototype.slice.call(r.key), value: Uint8Array.prototype.slice.call(r.value) };
}

function requireKey(name: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_STATE_KEY_BYTES) {
    throw new StorageUsageError(`${name} is ${describe(key)}; expected a Uint8Array of 1 to ${MAX_STATE_KEY_BYTES} bytes`);
  }
}
