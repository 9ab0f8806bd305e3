import { describe, expect, it } from 'vitest';
import { StateSnapshotDecoder, StateSnapshotEncoder } from './state-snapshot-codec.js';

const record = (k: string, v: string) => ({ key: Buffer.from(k), value: Buffer.from(v) });

describe('state snapshot data', () => {
  it('decodes what was encoded, however the bytes are split', () => {
    const records = Array.from({ length: 200 }, (_, i) => record(`key-${i}`, 'v'.repeat(i)));
    const encoder = new StateSnapshotEncoder(300);
    const chunks: Buffer[] = [];
    for (const r of records) {
      const chunk = encoder.add(r);
      if (chunk) chunks.push(chunk);
    }
    chunks.push(encoder.finish());
    const bytes = Buffer.concat(chunks);
    for (const step of [1, 7, 300, bytes.length]) {
      const decoder = new StateSnapshotDecoder('test');
      const out = [];
      for (let at = 0; at < bytes.length; at += step) out.push(...decoder.push(bytes.subarray(at, at + step)).map((r) => [Buffer.from(r.key).toString(), Buffer.from(r.value).toString()]));
      decoder.end();
      expect(out).toEqual(records.map((r) => [r.key.toString(), r.value.toString()]));
    }
  });

  it('takes empty data for an empty state and refuses anything else that is not snapshot data', () => {
    const empty = new StateSnapshotDecoder('empty');
    expect(empty.push(new Uint8Array(0))).toEqual([]);
    expect(() => empty.end()).not.toThrow();
    expect(() => new StateSnapshotDecoder('s').push(Buffer.from('not a snapshot'))).toThrow(/snapshot s is not state machine snapshot data: it does not start with "RKSTATE1"/);
    const cut = new StateSnapshotDecoder('s');
    const encoder = new StateSnapshotEncoder(100);
    encoder.add(record('k', 'value'));
    cut.push(encoder.finish().subarray(0, 15));
    expect(() => cut.end()).toThrow(/ends inside a record \(7 bytes left over\)/);
  });
});
