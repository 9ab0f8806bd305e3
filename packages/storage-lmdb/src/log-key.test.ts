import { describe, expect, it } from 'vitest';
import { logKey, logKeyIndex } from './log-key.js';

describe('log keys', () => {
  it('round-trip every safe index and sort bytewise in index order', () => {
    const indexes = [0, 1, 255, 256, 65_535, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    for (const i of indexes) expect(logKeyIndex(logKey(i))).toBe(i);
    const sorted = indexes.map(logKey).sort(Buffer.compare);
    expect(sorted.map((k) => logKeyIndex(k))).toEqual(indexes);
    expect(logKey(258).toString('hex')).toBe('0000000000000102');
  });

  it('rejects bytes that are not a log key', () => {
    expect(logKeyIndex(Buffer.alloc(7))).toBeUndefined();
    expect(logKeyIndex(Buffer.from('ffffffffffffffff', 'hex'))).toBeUndefined();
  });
});
