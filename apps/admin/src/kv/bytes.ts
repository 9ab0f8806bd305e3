/** Keys and values: UTF-8 text on the command line, bytes on the wire. */

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a command-line string. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes as text: UTF-8 when they are valid UTF-8, else undefined. */
export function utf8(b: Uint8Array): string | undefined {
  try {
    return strict.decode(b);
  } catch {
    return undefined;
  }
}

/** Bytes as text for people: UTF-8, or base64 marked as such when not UTF-8. */
export function displayBytes(b: Uint8Array): string {
  return utf8(b) ?? `base64:${Buffer.from(b).toString('base64')}`;
}

/**
 * The end of the range of every key that starts with `prefix` (etcd's
 * `GetPrefixRangeEnd`): the prefix with its last byte below 0xff increased
 * by one and what follows dropped. A prefix of only 0xff bytes has no such
 * key, so its range is every key from it on: the single zero byte.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = prefix[i]! + 1;
      return end;
    }
  }
  return Uint8Array.of(0);
}

/** The range end that means "every key from `key` on" (etcd's `--from-key`). */
export const FROM_KEY = Uint8Array.of(0);
