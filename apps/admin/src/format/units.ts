/** Sizes and counts for people. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `512 B`, `1.5 KiB`, `12 MiB`. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : 1;
  return `${v.toFixed(digits).replace(/\.0$/, '')} ${BYTE_UNITS[u]}`;
}

/** Milliseconds with a precision that suits their size: `0.42 ms`, `4.2 ms`, `42 ms`. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A member id as a sentence names it. */
export function memberList(ids: readonly number[]): string {
  return ids.length === 1 ? `member ${ids[0]}` : `members ${ids.join(', ')}`;
}
