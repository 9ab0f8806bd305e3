import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, memberList } from './units.js';

describe('units', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [48 * 1024, '48 KiB'],
    [3.7 * 1024 * 1024, '3.7 MiB'],
    [200 * 1024 * 1024, '200 MiB'],
  ])('%d bytes is %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each([
    [0.4213, '0.42 ms'],
    [4.21, '4.2 ms'],
    [42.1, '42 ms'],
  ])('%d ms is %s', (ms, text) => expect(formatMs(ms)).toBe(text));

  it('names one member or several', () => {
    expect(memberList([3])).toBe('member 3');
    expect(memberList([1, 2])).toBe('members 1, 2');
  });
});
