import { raftv1 } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { encodeChunkFrame } from './chunk-frame.js';
import { rechunk } from './snapshot-sender.js';

describe('encodeChunkFrame', () => {
  it.each([
    [0, 0],
    [0, 5],
    [1, 1],
    [127, 128],
    [300, 16_384],
    [2 ** 40 + 3, 1024 * 1024],
    [Number.MAX_SAFE_INTEGER, 3],
  ])('matches the generated encoder at offset %d with %d bytes', (offset, size) => {
    const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    const expected = raftv1.InstallSnapshotRequest.encode({ frame: { $case: 'chunk', value: { offset, data } } }).finish();
    const actual = encodeChunkFrame(offset, data);
    expect(actual.length).toBe(expected.length);
    expect(Buffer.compare(actual, Buffer.from(expected))).toBe(0);
  });
});

async function* pieces(sizes: number[]): AsyncGenerator<Uint8Array> {
  let n = 0;
  for (const s of sizes) {
    yield new Uint8Array(s).map(() => n++ & 0xff);
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c.slice());
  return out;
}

describe('rechunk', () => {
  it('cuts pieces of any size into chunks of exactly the chunk size, keeping every byte in order', async () => {
    const sizes = [3, 10, 1, 0, 25, 7];
    const chunks = await collect(rechunk(pieces(sizes), 8));
    expect(chunks.map((c) => c.length)).toEqual([8, 8, 8, 8, 8, 6]);
    const all = chunks.flatMap((c) => [...c]);
    expect(all).toEqual(Array.from({ length: 46 }, (_, i) => i & 0xff));
  });

  it('slices large pieces without copying them', async () => {
    const big = new Uint8Array(20);
    const seen: Uint8Array[] = [];
    for await (const c of rechunk((async function* () { yield big; })(), 8)) seen.push(c);
    expect(seen.map((c) => c.length)).toEqual([8, 8, 4]);
    expect(seen.slice(0, 2).every((c) => c.buffer === big.buffer)).toBe(true);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect(rechunk(pieces([]), 8))).toEqual([]);
  });
});
