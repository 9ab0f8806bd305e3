import { crc32 } from 'node:zlib';
import { type FileHandle, open } from 'node:fs/promises';
import type { SnapshotMetadata } from '@raftkit/core';
import { SnapshotCorruptionError, StorageUsageError } from './errors.js';
import {
  SNAPSHOT_PREFIX_BYTES,
  SNAPSHOT_TRAILER_BYTES,
  decodeSnapshotHeader,
  decodeSnapshotPrefix,
  verifySnapshotTrailer,
} from './snapshot-format.js';

/** Default size of the chunks a {@link SnapshotReader} yields. */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/** Where the data of a snapshot file lies, from its validated head. */
export interface SnapshotFileLayout {
  metadata: SnapshotMetadata;
  /** Offset of the first data byte. */
  dataOffset: number;
  /** Number of data bytes. */
  dataLength: number;
  /** CRC-32 of the prefix and header: the start of the whole-file checksum. */
  headChecksum: number;
}

/**
 * Reads and validates the head of an open snapshot file (not its data).
 * @throws SnapshotCorruptionError when the head is damaged or the file too short
 */
export async function readSnapshotLayout(handle: FileHandle, path: string): Promise<SnapshotFileLayout> {
  const { size } = await handle.stat();
  const prefix = await readExactly(handle, 0, Math.min(SNAPSHOT_PREFIX_BYTES, size));
  const { headerLength, headerChecksum } = decodeSnapshotPrefix(path, prefix);
  const dataOffset = SNAPSHOT_PREFIX_BYTES + headerLength;
  if (size < dataOffset + SNAPSHOT_TRAILER_BYTES) {
    throw new SnapshotCorruptionError(path, `the file is ${size} bytes, too short for its ${headerLength}-byte header and trailer (it is truncated)`);
  }
  const header = await readExactly(handle, SNAPSHOT_PREFIX_BYTES, headerLength);
  const metadata = decodeSnapshotHeader(path, header, headerChecksum);
  return {
    metadata,
    dataOffset,
    dataLength: size - dataOffset - SNAPSHOT_TRAILER_BYTES,
    headChecksum: crc32(header, crc32(prefix)),
  };
}

/**
 * Streams the data of one snapshot file in bounded chunks, verifying the
 * whole-file checksum as it goes. Iterate it once; the iteration throws
 * {@link SnapshotCorruptionError} at the end when the checksum fails, so a
 * consumer must treat the data as valid only once iteration completed.
 *
 * @example
 * ```ts
 * const reader = await storage.snapshots.openReader(storage.log.snapshot().metadata);
 * for await (const chunk of reader) send(chunk); // reader.size bytes in all
 * ```
 */
export class SnapshotReader implements AsyncIterable<Uint8Array> {
  /** What the snapshot covers. */
  readonly metadata: SnapshotMetadata;
  /** Total bytes of snapshot data the iteration yields. */
  readonly size: number;
  private started = false;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    /** The file being read. */
    readonly path: string,
    private readonly layout: SnapshotFileLayout,
    private readonly chunkBytes: number,
  ) {
    this.metadata = layout.metadata;
    this.size = layout.dataLength;
  }

  /**
   * Opens `path` and validates its head. The file stays readable even if
   * it is deleted meanwhile (a newer snapshot replacing it).
   */
  static async open(path: string, chunkBytes = DEFAULT_SNAPSHOT_CHUNK_BYTES): Promise<SnapshotReader> {
    const handle = await open(path, 'r');
    try {
      return new SnapshotReader(handle, path, await readSnapshotLayout(handle, path), chunkBytes);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Yields the data in chunks of at most the configured size, then verifies the checksum. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new StorageUsageError(`snapshot reader for ${this.path} was already iterated; open a new reader`);
    this.started = true;
    try {
      let checksum = this.layout.headChecksum;
      let offset = 0;
      while (offset < this.size) {
        const want = Math.min(this.chunkBytes, this.size - offset);
        const chunk = await readExactly(this.handle, this.layout.dataOffset + offset, want);
        if (chunk.length < want) {
          throw new SnapshotCorruptionError(this.path, `the file ended after ${offset + chunk.length} of ${this.size} data bytes`);
        }
        checksum = crc32(chunk, checksum);
        offset += chunk.length;
        yield chunk;
      }
      const trailer = await readExactly(this.handle, this.layout.dataOffset + this.size, SNAPSHOT_TRAILER_BYTES);
      verifySnapshotTrailer(this.path, trailer, this.size, checksum);
    } finally {
      await this.close();
    }
  }

  /** Reads all the data into memory, verified. For small snapshots and tests. */
  async readAll(): Promise<Uint8Array> {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for await (const chunk of this) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /**
   * Reads the data through and verifies the checksum, keeping one chunk in
   * memory at a time.
   * @throws SnapshotCorruptionError when the file is damaged
   */
  async verify(): Promise<void> {
    for await (const _chunk of this) {
      // Only the checksum, checked at the end of the iteration, matters.
    }
  }

  /** Releases the file early, when the consumer stops before the end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
