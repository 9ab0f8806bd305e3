import { describe, expect, it } from 'vitest';
import { bytes, displayBytes, prefixEnd, utf8 } from './bytes.js';

describe('prefixEnd', () => {
  it('increments the last byte', () => expect(prefixEnd(bytes('app/'))).toEqual(bytes('app0')));
  it('drops trailing 0xff bytes and increments the one before', () => expect(prefixEnd(Uint8Array.of(0x61, 0xff, 0xff))).toEqual(Uint8Array.of(0x62)));
  it('means every key for a prefix of only 0xff bytes', () => expect(prefixEnd(Uint8Array.of(0xff, 0xff))).toEqual(Uint8Array.of(0)));
  it('does not change its input', () => {
    const p = bytes('ab');
    prefixEnd(p);
    expect(p).toEqual(bytes('ab'));
  });
});

describe('text', () => {
  it('decodes UTF-8 and shows other bytes as base64', () => {
    expect(utf8(bytes('héllo'))).toBe('héllo');
    expect(utf8(Uint8Array.of(0xff))).toBeUndefined();
    expect(displayBytes(Uint8Array.of(0xff, 0x00))).toBe('base64:/wA=');
  });
});
