/**
 * How one log entry is stored as an LMDB value:
 *
 * ```
 * crc32 (4, big-endian) | term (8, big-endian) | type (1) | data
 * ```
 *
 * The checksum covers the log key (the index) as well as the rest of the
 * value, so a value that ended up under the wrong key fails it too.
 */
import { crc32 } from 'node:zlib';
import type { Entry } from '@raftkit/core';

const TWO_POW_32 = 2 ** 32;

/** Bytes in front of the entry data. */
export const ENTRY_HEADER_BYTES = 13;

/** Encodes `entry` for storage under `key` (its index, see `logKey`). */
export function encodeEntry(entry: Entry, key: Uint8Array): Buffer {
  const value = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + entry.data.length);
  value.writeUInt32BE(Math.floor(entry.term / TWO_POW_32), 4);
  value.writeUInt32BE(entry.term >>> 0, 8);
  value[12] = entry.type;
  value.set(entry.data, ENTRY_HEADER_BYTES);
  value.writeUInt32BE(entryChecksum(key, value), 0);
  return value;
}

/**
 * Decodes a stored entry, copying its data out of `value` (LMDB hands out
 * buffers it reuses). Returns a description of the damage instead when the
 * value is too short or fails its checksum.
 */
export function decodeEntry(index: number, key: Uint8Array, raw: Uint8Array): Entry | string {
  const value = exact(raw);
  if (value.length < ENTRY_HEADER_BYTES) {
    return `stored value is ${value.length} bytes, shorter than the ${ENTRY_HEADER_BYTES}-byte entry header`;
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const stored = view.getUint32(0);
  const actual = entryChecksum(key, value);
  if (stored !== actual) {
    return `entry checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`;
  }
  return {
    index,
    term: view.getUint32(4) * TWO_POW_32 + view.getUint32(8),
    type: value[12]!,
    // A copy, as a plain Uint8Array: LMDB reuses the buffer it read into.
    data: new Uint8Array(value.subarray(ENTRY_HEADER_BYTES)),
  };
}

/**
 * Reads only the term of a stored entry, still verifying its checksum: a
 * term read from a damaged entry could make the core accept a wrong append.
 */
export function decodeEntryTerm(key: Uint8Array, raw: Uint8Array): number | string {
  const value = exact(raw);
  if (value.length < ENTRY_HEADER_BYTES) {
    return `stored value is ${value.length} bytes, shorter than the ${ENTRY_HEADER_BYTES}-byte entry header`;
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const stored = view.getUint32(0);
  const actual = entryChecksum(key, value);
  if (stored !== actual) return `entry checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`;
  return view.getUint32(4) * TWO_POW_32 + view.getUint32(8);
}

/**
 * lmdb-js's fast reads return one large reused buffer whose `length`
 * property is overridden to the value's size; typed-array methods ignore
 * that override, so cut the view to the real size first.
 */
function exact(value: Uint8Array): Uint8Array {
  return value.subarray(0, value.length);
}

function entryChecksum(key: Uint8Array, value: Uint8Array): number {
  return crc32(value.subarray(4), crc32(key));
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
