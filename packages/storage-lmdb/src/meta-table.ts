/**
 * The `meta` table: small records that describe the log and the state
 * machine (hard state, membership, log boundary, applied index). Each is
 * JSON behind a CRC-32, so damage is reported instead of misread.
 */
import { crc32 } from 'node:zlib';
import type { ConfState, HardState, SnapshotMetadata } from '@raftkit/core';
import type { Database, Transaction } from 'lmdb';
import { type LmdbTables, edgeKey } from './environment.js';
import { StorageCorruptionError, StorageUsageError } from './errors.js';
import type { StorageHealth } from './storage-health.js';

/** Version of the on-disk layout; bumped on incompatible changes. */
export const FORMAT_VERSION = 1;

/**
 * Checks the store's format record, before anything else in the data
 * directory is touched (opening the snapshot directory sets aside files it
 * cannot read, and another version's snapshots are such files). A new,
 * empty store gets the record of this version.
 * @throws StorageUsageError naming the data dir and both versions, for another version's store
 * @throws StorageCorruptionError for a store that holds data but no format record
 */
export function checkFormat(tables: LmdbTables, meta: MetaTable, health: StorageHealth, dataDir: string): void {
  const format = meta.get('format');
  if (format === undefined) {
    const empty = edgeKey(tables.meta) === undefined && edgeKey(tables.log) === undefined;
    if (!empty) throw new StorageCorruptionError(dataDir, undefined, 'the store holds data but no format record');
    health.write('initialize the store', () => tables.root.transactionSync(() => meta.put('format', { version: FORMAT_VERSION })));
  } else if (format.version !== FORMAT_VERSION) {
    throw new StorageUsageError(`raft storage in ${dataDir} has format version ${format.version}; this version reads only ${FORMAT_VERSION}`);
  }
}

/** The last compacted entry: the log holds `[index + 1, lastIndex]`, and `term` is the term at `index`. */
export interface LogBoundary {
  index: number;
  term: number;
}

interface MetaRecords {
  format: { version: number };
  hardState: HardState;
  confState: ConfState;
  boundary: LogBoundary;
  applied: { index: number };
  restoring: SnapshotMetadata;
}

/** Names of the meta records. */
export type MetaKey = keyof MetaRecords;

/** Typed, checksummed access to the meta table. Writes go into the caller's open write transaction. */
export class MetaTable {
  constructor(
    private readonly db: Database<Buffer, string>,
    private readonly dataDir: string,
  ) {}

  /** The record under `key`, or `undefined` when it was never written. */
  get<K extends MetaKey>(key: K, transaction?: Transaction): MetaRecords[K] | undefined {
    const value = this.db.get(key, transaction ? { transaction } : undefined);
    if (value === undefined) return undefined;
    if (value.length < 4) throw this.corrupt(key, `the record is ${value.length} bytes, too short to hold its checksum`);
    const stored = value.readUInt32BE(0);
    const body = value.subarray(4);
    const actual = crc32(body);
    if (stored !== actual) throw this.corrupt(key, `checksum mismatch (stored ${stored}, computed ${actual})`);
    try {
      return JSON.parse(body.toString('utf8')) as MetaRecords[K];
    } catch (e) {
      throw this.corrupt(key, `the record is not valid JSON (${(e as Error).message})`);
    }
  }

  /** Writes `value` under `key`; call inside a write transaction. */
  put<K extends MetaKey>(key: K, value: MetaRecords[K]): void {
    const body = Buffer.from(JSON.stringify(value), 'utf8');
    const record = Buffer.allocUnsafe(4 + body.length);
    record.writeUInt32BE(crc32(body), 0);
    body.copy(record, 4);
    this.db.putSync(key, record);
  }

  /** Removes the record under `key`; call inside a write transaction. */
  remove(key: MetaKey): void {
    this.db.removeSync(key);
  }

  private corrupt(key: string, detail: string): StorageCorruptionError {
    return new StorageCorruptionError(this.dataDir, undefined, `meta record "${key}": ${detail}`);
  }
}
