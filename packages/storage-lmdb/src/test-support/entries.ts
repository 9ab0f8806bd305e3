import { type Entry, EntryType } from '@raftkit/core';

/** Deterministic payload for the entry at (index, term), so content can be checked after a crash. */
export function payload(index: number, term: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  let x = (index * 2654435761 + term * 40503) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

/** Entries `[lo, hi)` with terms from `term(i)` and payloads from {@link payload}. */
export function entryRange(lo: number, hi: number, term: (i: number) => number, size = 32): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i < hi; i++) out.push({ index: i, term: term(i), type: EntryType.Normal, data: payload(i, term(i), size) });
  return out;
}

/**
 * A compact form of entries for assertions: deep equality over large byte
 * arrays is slow in the test runner, so data is compared as hex digests.
 */
export function summarize(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}/${e.term}/${e.type}/${e.data.constructor.name}:${e.data.length}:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64')}`);
}
