import { rmSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RaftLogger, SnapshotMetadata } from '@raftkit/core';
import { SnapshotCorruptionError, StorageUsageError } from './errors.js';
import { parseSnapshotFileName } from './snapshot-format.js';
import { DEFAULT_SNAPSHOT_CHUNK_BYTES, SnapshotReader, readSnapshotLayout } from './snapshot-reader.js';
import { type SnapshotFileInfo, SnapshotWriter, isTempSnapshotName, writeSnapshotFileSync } from './snapshot-writer.js';
import { requireInteger } from './validate.js';

/** How a {@link SnapshotStore} behaves. */
export interface SnapshotStoreOptions {
  /** The directory holding the snapshot files (created if missing). */
  dir: string;
  /** How many of the newest snapshots to keep; older ones are deleted once a newer one is durable. At least 1. */
  retain: number;
  /** Flush files and the directory; false only in the unsafe no-sync mode. */
  sync: boolean;
  /** Where damaged and leftover files are reported. */
  logger: RaftLogger;
  /** Size of the chunks readers yield. */
  chunkBytes?: number;
}

/** Suffix given to damaged snapshot files: kept for inspection, never read again. */
export const BROKEN_SUFFIX = '.broken';

/**
 * The snapshot files of one member, in `<dataDir>/snap/`. A snapshot exists
 * only once its file is complete, checksummed and durable under its final
 * name; torn or damaged files are detected on open, renamed aside and
 * reported, and the newest valid snapshot wins.
 */
export class SnapshotStore {
  /** Valid snapshots, newest (highest index, then term) first. */
  private files: SnapshotFileInfo[] = [];

  private constructor(private readonly options: SnapshotStoreOptions) {}

  /**
   * Opens (creating) the snapshot directory: deletes temporary files left by
   * a crash, sets damaged files aside, fully verifies the newest snapshot.
   */
  static async open(options: SnapshotStoreOptions): Promise<SnapshotStore> {
    requireInteger('retainSnapshots', options.retain, 1);
    const store = new SnapshotStore(options);
    await mkdir(options.dir, { recursive: true });
    await store.scan();
    return store;
  }

  /** The directory holding the snapshot files. */
  get dir(): string {
    return this.options.dir;
  }

  /** Metadata of the newest valid snapshot, or `undefined` when there is none. */
  latest(): SnapshotMetadata | undefined {
    return this.files[0]?.metadata;
  }

  /** Every valid snapshot, newest first. */
  list(): SnapshotFileInfo[] {
    return this.files.map((f) => ({ ...f }));
  }

  /** The snapshot at exactly this index and term, if it is stored. */
  find(at: { index: number; term: number }): SnapshotFileInfo | undefined {
    return this.files.find((f) => f.metadata.index === at.index && f.metadata.term === at.term);
  }

  /**
   * Starts writing a snapshot (a local one taken from the state machine, or
   * one received from the leader); see {@link SnapshotWriter}.
   */
  createWriter(metadata: SnapshotMetadata): Promise<SnapshotWriter> {
    return SnapshotWriter.create({ dir: this.options.dir, sync: this.options.sync, onCommitted: (info) => this.register(info) }, metadata);
  }

  /** Writes a whole snapshot from memory; resolves once it is durable. */
  async write(metadata: SnapshotMetadata, data: Uint8Array): Promise<SnapshotFileInfo> {
    const writer = await this.createWriter(metadata);
    try {
      await writer.write(data);
      return await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }

  /** {@link write}, blocking: for a snapshot whose bytes arrive inline with a Ready. */
  writeSync(metadata: SnapshotMetadata, data: Uint8Array): SnapshotFileInfo {
    const info = writeSnapshotFileSync({ dir: this.options.dir, sync: this.options.sync }, metadata, data);
    this.insert(info);
    for (const f of this.takeExpired()) rmSync(f.path, { force: true });
    return info;
  }

  /**
   * Opens the snapshot at `at` for streaming; see {@link SnapshotReader}.
   * @throws StorageUsageError when no such snapshot is stored
   */
  async openReader(at: { index: number; term: number }): Promise<SnapshotReader> {
    const file = this.find(at);
    if (!file) {
      const have = this.files.map((f) => `${f.metadata.term}/${f.metadata.index}`).join(', ') || 'none';
      throw new StorageUsageError(`no snapshot at index ${at.index} term ${at.term} in ${this.options.dir} (stored term/index: ${have})`);
    }
    return SnapshotReader.open(file.path, this.options.chunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES);
  }

  /** Reads a whole snapshot's data into memory, verified. */
  async read(at: { index: number; term: number }): Promise<Uint8Array> {
    return (await this.openReader(at)).readAll();
  }

  private async register(info: SnapshotFileInfo): Promise<void> {
    this.insert(info);
    await this.prune();
  }

  private insert(info: SnapshotFileInfo): void {
    this.files = this.files.filter((f) => f.path !== info.path);
    this.files.push(info);
    this.files.sort(newestFirst);
  }

  /** Deletes snapshots beyond the retention: a newer durable one covers everything they do. */
  private async prune(): Promise<void> {
    for (const f of this.takeExpired()) await rm(f.path, { force: true });
  }

  private takeExpired(): SnapshotFileInfo[] {
    const expired = this.files.slice(this.options.retain);
    this.files = this.files.slice(0, this.options.retain);
    return expired;
  }

  private async scan(): Promise<void> {
    const candidates: SnapshotFileInfo[] = [];
    for (const name of await readdir(this.options.dir)) {
      const path = join(this.options.dir, name);
      if (isTempSnapshotName(name)) {
        this.options.logger.warn('deleting a snapshot file left incomplete by a crash', { path });
        await rm(path, { force: true });
        continue;
      }
      const named = parseSnapshotFileName(name);
      if (!named) continue;
      try {
        const layout = await withFile(path, (h) => readSnapshotLayout(h, path));
        if (layout.metadata.index !== named.index || layout.metadata.term !== named.term) {
          throw new SnapshotCorruptionError(
            path,
            `its header says index ${layout.metadata.index} term ${layout.metadata.term}, its name index ${named.index} term ${named.term}`,
          );
        }
        candidates.push({ metadata: layout.metadata, path, size: layout.dataLength });
      } catch (e) {
        await this.quarantine(path, e);
      }
    }
    candidates.sort(newestFirst);
    // Only the newest is read in full (streamed, so memory stays bounded):
    // it is the one served and restored from.
    while (candidates.length > 0) {
      const newest = candidates[0]!;
      try {
        await (await SnapshotReader.open(newest.path, this.options.chunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES)).verify();
        break;
      } catch (e) {
        candidates.shift();
        await this.quarantine(newest.path, e);
      }
    }
    this.files = candidates;
    await this.prune();
  }

  private async quarantine(path: string, error: unknown): Promise<void> {
    if (!(error instanceof SnapshotCorruptionError)) throw error;
    this.options.logger.error('ignoring a damaged snapshot file', { path, error: error.message, movedTo: path + BROKEN_SUFFIX });
    await rename(path, path + BROKEN_SUFFIX);
  }
}

function newestFirst(a: SnapshotFileInfo, b: SnapshotFileInfo): number {
  return b.metadata.index - a.metadata.index || b.metadata.term - a.metadata.term;
}

async function withFile<T>(path: string, body: (h: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    return await body(handle);
  } finally {
    await handle.close();
  }
}

