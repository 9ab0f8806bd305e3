import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from './commands.js';

describe('key-value commands', () => {
  it('round-trip every type', () => {
    const key = new TextEncoder().encode('k');
    const put = { key, value: new TextEncoder().encode('v'), lease: 0, prevKv: true, ignoreValue: false, ignoreLease: false };
    expect(decodeCommand(encodeCommand({ type: 'put', request: put }))).toEqual({ type: 'put', request: put });
    const del = { key, rangeEnd: new Uint8Array([0]), prevKv: false };
    expect(decodeCommand(encodeCommand({ type: 'delete-range', request: del }))).toEqual({ type: 'delete-range', request: del });
    const txn = { compare: [], success: [{ request: { $case: 'requestPut' as const, value: put } }], failure: [] };
    expect(decodeCommand(encodeCommand({ type: 'txn', request: txn }))).toEqual({ type: 'txn', request: txn });
    expect(decodeCommand(encodeCommand({ type: 'compact', request: { revision: 9, physical: false } }))).toEqual({ type: 'compact', request: { revision: 9, physical: false } });
    const attrs = { id: 3, name: 'three', clientUrls: ['127.0.0.1:2379'] };
    expect(decodeCommand(encodeCommand({ type: 'member-attributes', request: attrs }))).toEqual({ type: 'member-attributes', request: attrs });
    // A member started without a name publishes none.
    const nameless = { id: 4, clientUrls: ['127.0.0.1:2479'] };
    expect(decodeCommand(encodeCommand({ type: 'member-attributes', request: nameless }))).toEqual({ type: 'member-attributes', request: nameless });
  });

  it('refuses malformed member attributes, naming what was expected', () => {
    const entry = (v: unknown): Uint8Array => {
      const body = new TextEncoder().encode(JSON.stringify(v));
      const data = new Uint8Array(body.length + 1);
      data[0] = 5;
      data.set(body, 1);
      return data;
    };
    expect(() => decodeCommand(entry({ id: 'x', name: 'n' }))).toThrow(/member attributes entry is malformed \(expected \{id, name\?, clientUrls\}\)/);
    expect(() => decodeCommand(entry({ id: 1, name: 7, clientUrls: [] }))).toThrow(/member attributes entry is malformed/);
  });

  it('refuses unknown tags clearly', () => {
    expect(() => decodeCommand(Uint8Array.of(9, 1, 2))).toThrow('unknown key-value command tag 9 in a log entry of 3 bytes (expected 1-5)');
  });
});
