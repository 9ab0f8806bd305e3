/**
 * Log keys: the entry index as 8 bytes, big-endian, so that LMDB's bytewise
 * key order is index order and a cursor walks the log from oldest to newest.
 */

const TWO_POW_32 = 2 ** 32;

/** Length of a log key in bytes. */
export const LOG_KEY_BYTES = 8;

/** The key under which the entry at `index` is stored. */
export function logKey(index: number): Buffer {
  const key = Buffer.allocUnsafe(LOG_KEY_BYTES);
  key.writeUInt32BE(Math.floor(index / TWO_POW_32), 0);
  key.writeUInt32BE(index >>> 0, 4);
  return key;
}

/** The index a log key stands for, or `undefined` when the bytes are not a log key. */
export function logKeyIndex(key: Uint8Array): number | undefined {
  if (key.length !== LOG_KEY_BYTES) return undefined;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const high = view.getUint32(0);
  // Indexes are JavaScript safe integers: at most 53 bits.
  if (high >= 2 ** 21) return undefined;
  return high * TWO_POW_32 + view.getUint32(4);
}
