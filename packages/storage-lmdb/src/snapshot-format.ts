/**
 * The snapshot file format:
 *
 * ```
 * magic "RKSNAP01" (8) | header length (4) | header CRC-32 (4) | header (JSON: index, term, confState)
 * data ...
 * data length (8) | CRC-32 of every byte before it (4)
 * ```
 *
 * The header has its own checksum so a directory scan can list snapshots
 * without reading their data; the trailing checksum covers the whole file
 * and is what makes a torn or bit-rotted file detectable. Files are named
 * `<term>-<index>.snap` with both numbers as 16 hex digits.
 */
import { crc32 } from 'node:zlib';
import type { SnapshotMetadata } from '@raftkit/core';
import { SnapshotCorruptionError } from './errors.js';
import { requireSnapshotMetadata } from './validate.js';

/** The first bytes of every snapshot file. */
export const SNAPSHOT_MAGIC = Buffer.from('RKSNAP01', 'latin1');
/** Bytes before the header JSON: magic, header length, header checksum. */
export const SNAPSHOT_PREFIX_BYTES = 16;
/** Bytes after the data: data length and whole-file checksum. */
export const SNAPSHOT_TRAILER_BYTES = 12;
/** Upper bound on the header, so a damaged length cannot make us allocate gigabytes. */
export const MAX_SNAPSHOT_HEADER_BYTES = 1 << 20;

const TWO_POW_32 = 2 ** 32;
const FILE_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

/** The file name of the snapshot with this metadata. */
export function snapshotFileName(m: { index: number; term: number }): string {
  return `${hex16(m.term)}-${hex16(m.index)}.snap`;
}

/** The term and index a snapshot file name encodes, or `undefined` for other names. */
export function parseSnapshotFileName(name: string): { term: number; index: number } | undefined {
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  const term = Number.parseInt(match[1]!, 16);
  const index = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(index)) return undefined;
  return { term, index };
}

/** The bytes a snapshot file starts with: prefix and header. */
export function encodeSnapshotHead(metadata: SnapshotMetadata): Buffer {
  const header = Buffer.from(
    JSON.stringify({ index: metadata.index, term: metadata.term, confState: metadata.confState }),
    'utf8',
  );
  const head = Buffer.allocUnsafe(SNAPSHOT_PREFIX_BYTES + header.length);
  SNAPSHOT_MAGIC.copy(head, 0);
  head.writeUInt32BE(header.length, 8);
  head.writeUInt32BE(crc32(header), 12);
  header.copy(head, SNAPSHOT_PREFIX_BYTES);
  return head;
}

/**
 * Validates the fixed prefix and returns the header length that follows it.
 * @throws SnapshotCorruptionError when the prefix is not a snapshot prefix
 */
export function decodeSnapshotPrefix(path: string, prefix: Buffer): { headerLength: number; headerChecksum: number } {
  if (prefix.length < SNAPSHOT_PREFIX_BYTES) {
    throw new SnapshotCorruptionError(path, `the file is ${prefix.length} bytes, shorter than the ${SNAPSHOT_PREFIX_BYTES}-byte prefix`);
  }
  if (!prefix.subarray(0, 8).equals(SNAPSHOT_MAGIC)) {
    throw new SnapshotCorruptionError(path, `it does not start with the magic bytes "${SNAPSHOT_MAGIC.toString('latin1')}"`);
  }
  const headerLength = prefix.readUInt32BE(8);
  if (headerLength > MAX_SNAPSHOT_HEADER_BYTES) {
    throw new SnapshotCorruptionError(path, `header length ${headerLength} exceeds the maximum of ${MAX_SNAPSHOT_HEADER_BYTES}`);
  }
  return { headerLength, headerChecksum: prefix.readUInt32BE(12) };
}

/**
 * Validates and parses the header JSON.
 * @throws SnapshotCorruptionError when it fails its checksum or does not describe a snapshot
 */
export function decodeSnapshotHeader(path: string, header: Buffer, checksum: number): SnapshotMetadata {
  const actual = crc32(header);
  if (actual !== checksum) throw new SnapshotCorruptionError(path, `header checksum mismatch (stored ${checksum}, computed ${actual})`);
  let parsed: SnapshotMetadata;
  try {
    parsed = JSON.parse(header.toString('utf8')) as SnapshotMetadata;
    requireSnapshotMetadata('header', parsed);
  } catch (e) {
    throw new SnapshotCorruptionError(path, `the header does not describe a snapshot (${(e as Error).message})`);
  }
  return { index: parsed.index, term: parsed.term, confState: parsed.confState };
}

/** The bytes a snapshot file ends with. `checksum` covers everything before the trailer plus its length field. */
export function encodeSnapshotTrailer(dataLength: number, checksumBeforeTrailer: number): Buffer {
  const trailer = Buffer.allocUnsafe(SNAPSHOT_TRAILER_BYTES);
  trailer.writeUInt32BE(Math.floor(dataLength / TWO_POW_32), 0);
  trailer.writeUInt32BE(dataLength >>> 0, 4);
  trailer.writeUInt32BE(crc32(trailer.subarray(0, 8), checksumBeforeTrailer), 8);
  return trailer;
}

/**
 * Checks the trailer against the data length and the running checksum of
 * everything before it.
 * @throws SnapshotCorruptionError on a mismatch
 */
export function verifySnapshotTrailer(path: string, trailer: Buffer, dataLength: number, checksumBeforeTrailer: number): void {
  if (trailer.length !== SNAPSHOT_TRAILER_BYTES) {
    throw new SnapshotCorruptionError(path, `the trailer is ${trailer.length} bytes, expected ${SNAPSHOT_TRAILER_BYTES} (the file is truncated)`);
  }
  const storedLength = trailer.readUInt32BE(0) * TWO_POW_32 + trailer.readUInt32BE(4);
  if (storedLength !== dataLength) {
    throw new SnapshotCorruptionError(path, `the trailer records ${storedLength} data bytes but the file holds ${dataLength}`);
  }
  const stored = trailer.readUInt32BE(8);
  const actual = crc32(trailer.subarray(0, 8), checksumBeforeTrailer);
  if (stored !== actual) throw new SnapshotCorruptionError(path, `checksum mismatch (stored ${stored}, computed ${actual})`);
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}
