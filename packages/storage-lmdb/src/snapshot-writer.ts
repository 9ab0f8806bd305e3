import { closeSync, fdatasyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SnapshotMetadata } from '@raftkit/core';
import { StorageUsageError } from './errors.js';
import { syncDirectory, syncDirectorySync } from './fs-durability.js';
import { encodeSnapshotHead, encodeSnapshotTrailer, snapshotFileName } from './snapshot-format.js';
import { describe, requireSnapshotMetadata } from './validate.js';

/** A snapshot file that is durable under its final name. */
export interface SnapshotFileInfo {
  metadata: SnapshotMetadata;
  /** Absolute or data-dir-relative path of the file. */
  path: string;
  /** Bytes of snapshot data (without the file's head and trailer). */
  size: number;
}

/** How a writer makes its file durable and announces it. */
export interface SnapshotWriterContext {
  dir: string;
  /** Flush file and directory; false only in the unsafe no-sync mode. */
  sync: boolean;
  /** Called once the file is durable under its final name. */
  onCommitted(info: SnapshotFileInfo): Promise<void> | void;
}

let tempCounter = 0;

/** The name of a temporary file for a snapshot being written; the store deletes leftovers on open. */
export function tempSnapshotName(metadata: SnapshotMetadata): string {
  tempCounter += 1;
  return `.${snapshotFileName(metadata)}.${process.pid}-${tempCounter}.tmp`;
}

/** True for the names of temporary snapshot files. */
export function isTempSnapshotName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * Writes one snapshot in chunks with bounded memory: the data goes to a
 * temporary file, and {@link commit} seals it with a checksum, flushes it,
 * renames it into place and flushes the directory. Until then the snapshot
 * does not exist for readers, so a crash leaves at most a temporary file
 * that the next open deletes.
 *
 * @example
 * ```ts
 * const writer = await storage.snapshots.createWriter(metadata);
 * try {
 *   for await (const chunk of stream) await writer.write(chunk);
 *   await writer.commit();
 * } catch (e) {
 *   await writer.abort();
 *   throw e;
 * }
 * ```
 */
export class SnapshotWriter {
  /** What the snapshot covers. */
  readonly metadata: SnapshotMetadata;
  private bytes = 0;
  private checksum: number;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  /** Writes are chained so that un-awaited calls still land in order. */
  private queue: Promise<void> = Promise.resolve();
  /** The first failed write: the file is then incomplete and must not be committed. */
  private failure: unknown;

  private constructor(
    private readonly handle: FileHandle,
    private readonly tempPath: string,
    private readonly context: SnapshotWriterContext,
    metadata: SnapshotMetadata,
    head: Buffer,
  ) {
    this.metadata = metadata;
    this.checksum = crc32(head);
  }

  /** Starts a snapshot file for `metadata` in `context.dir`. */
  static async create(context: SnapshotWriterContext, metadata: SnapshotMetadata): Promise<SnapshotWriter> {
    requireSnapshotMetadata('snapshot metadata', metadata);
    const meta = cloneMetadata(metadata);
    const tempPath = join(context.dir, tempSnapshotName(meta));
    const handle = await open(tempPath, 'wx');
    try {
      const head = encodeSnapshotHead(meta);
      await writeAll(handle, head);
      return new SnapshotWriter(handle, tempPath, context, meta, head);
    } catch (e) {
      await handle.close();
      await rm(tempPath, { force: true });
      throw e;
    }
  }

  /** Bytes of data written so far. */
  get size(): number {
    return this.bytes;
  }

  /** Appends a chunk of snapshot data. */
  write(chunk: Uint8Array): Promise<void> {
    this.requireOpen('write');
    if (!(chunk instanceof Uint8Array)) throw new StorageUsageError(`snapshot chunk is ${describe(chunk)}; expected a Uint8Array`);
    const run = this.queue.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        await writeAll(this.handle, chunk);
      } catch (e) {
        this.failure = e;
        throw e;
      }
      this.checksum = crc32(chunk, this.checksum);
      this.bytes += chunk.length;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Seals the file and makes it durable under its final name; the snapshot
   * is then visible to {@link SnapshotStore.latest} and older ones beyond
   * the retention are deleted.
   */
  async commit(): Promise<SnapshotFileInfo> {
    this.requireOpen('commit');
    this.state = 'committed';
    try {
      await this.queue;
      if (this.failure !== undefined) throw this.failure;
      await writeAll(this.handle, encodeSnapshotTrailer(this.bytes, this.checksum));
      if (this.context.sync) await this.handle.datasync();
      await this.handle.close();
      const path = join(this.context.dir, snapshotFileName(this.metadata));
      await rename(this.tempPath, path);
      if (this.context.sync) await syncDirectory(this.context.dir);
      const info = { metadata: this.metadata, path, size: this.bytes };
      await this.context.onCommitted(info);
      return info;
    } catch (e) {
      await this.handle.close().catch(() => {});
      await rm(this.tempPath, { force: true });
      throw e;
    }
  }

  /** Discards the partial snapshot. Safe to call after a failed write or commit. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.queue;
    await this.handle.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }

  private requireOpen(what: string): void {
    if (this.state !== 'open') {
      throw new StorageUsageError(`cannot ${what} snapshot ${this.metadata.term}/${this.metadata.index}: the writer is already ${this.state}`);
    }
  }
}

/**
 * Writes a whole snapshot file at once, blocking; for the rare snapshot
 * whose bytes arrive inline with its metadata.
 */
export function writeSnapshotFileSync(context: Omit<SnapshotWriterContext, 'onCommitted'>, metadata: SnapshotMetadata, data: Uint8Array): SnapshotFileInfo {
  requireSnapshotMetadata('snapshot metadata', metadata);
  const meta = cloneMetadata(metadata);
  const tempPath = join(context.dir, tempSnapshotName(meta));
  const head = encodeSnapshotHead(meta);
  const fd = openSync(tempPath, 'wx');
  try {
    writeAllSync(fd, head);
    writeAllSync(fd, data);
    writeAllSync(fd, encodeSnapshotTrailer(data.length, crc32(data, crc32(head))));
    if (context.sync) fdatasyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tempPath, { force: true });
    throw e;
  }
  closeSync(fd);
  const path = join(context.dir, snapshotFileName(meta));
  renameSync(tempPath, path);
  if (context.sync) syncDirectorySync(context.dir);
  return { metadata: meta, path, size: data.length };
}

function cloneMetadata(m: SnapshotMetadata): SnapshotMetadata {
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

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
