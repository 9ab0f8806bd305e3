/**
 * Workloads on the real store (`RaftStorage`): durable appends, sequential
 * reads, appends after truncating a long suffix and after compacting a long
 * prefix, and the persist + apply cycle a server runs per Ready.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Entry, EntryType, emptyConfState } from '@raftkit/core';
import { LMDB_FILE, RaftStorage } from '@raftkit/storage-lmdb';
import { type Rate, runFor, timeOnce } from './measure.js';

/** Entries of `bytes` payload each, `[from, from + count)`, in `term`. */
function entries(from: number, count: number, term: number, bytes: number): Entry[] {
  const data = new Uint8Array(bytes).fill(0x42);
  return Array.from({ length: count }, (_, i) => ({ index: from + i, term, type: EntryType.Normal, data }));
}

/** A fresh store in a new directory under `parent`, removed by `done()`. */
async function freshStore(parent: string): Promise<{ storage: RaftStorage; done(): Promise<void> }> {
  const dataDir = mkdtempSync(join(parent, 'storage-'));
  const storage = await RaftStorage.open({ dataDir });
  return {
    storage,
    done: async () => {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Appends batches of `batch` entries for `seconds`; every persist is durable before the next. */
async function appendFor(storage: RaftStorage, batch: number, bytes: number, seconds: number, term = 1): Promise<Rate> {
  return runFor(seconds, () => storage.log.persist({ entries: entries(storage.log.lastIndex() + 1, batch, term, bytes) }));
}

/** Fills the log to `count` entries in large batches. */
async function fill(storage: RaftStorage, count: number, bytes: number): Promise<void> {
  while (storage.log.lastIndex() < count) {
    const from = storage.log.lastIndex() + 1;
    await storage.log.persist({ entries: entries(from, Math.min(4096, count - from + 1), 1, bytes) });
  }
}

export interface AppendResult {
  batch: number;
  rate: Rate;
}

export async function measureAppends(parent: string, batch: number, bytes: number, seconds: number): Promise<AppendResult> {
  const { storage, done } = await freshStore(parent);
  try {
    return { batch, rate: await appendFor(storage, batch, bytes, seconds) };
  } finally {
    await done();
  }
}

export interface ReadResult {
  entries: number;
  /** Entries read per second by a sequential scan in 1 MiB `entries()` calls. */
  scanPerSecond: number;
  /** Random `term(i)` lookups per second. */
  termPerSecond: number;
}

export async function measureReads(parent: string, count: number, bytes: number, seconds: number): Promise<ReadResult> {
  const { storage, done } = await freshStore(parent);
  try {
    await fill(storage, count, bytes);
    const log = storage.log;
    let read = 0;
    const scan = await runFor(seconds, () => {
      for (let lo = log.firstIndex(); lo <= log.lastIndex(); ) {
        const got = log.entries(lo, log.lastIndex() + 1, 1 << 20);
        lo += got.length;
        read += got.length;
      }
    });
    let x = 1;
    const lookups = 10_000;
    const terms = await runFor(seconds, () => {
      for (let i = 0; i < lookups; i++) {
        x = (x * 48271) % 2147483647;
        log.term(1 + (x % (count - 1)));
      }
    });
    return { entries: count, scanPerSecond: read / scan.seconds, termPerSecond: (terms.ops * lookups) / terms.seconds };
  } finally {
    await done();
  }
}

export interface ReshapeResult {
  /** Entries in the log before the change. */
  entries: number;
  /** Entries removed by it. */
  removed: number;
  /** Appends (batches of `batch`) per second before the change. */
  before: Rate;
  /** How long the truncating persist or the compaction took. */
  changeMs: number;
  /** Appends per second right after it. */
  after: Rate;
  /** Size of the LMDB file before and after (LMDB reuses freed pages rather than shrinking). */
  fileBytesBefore: number;
  fileBytesAfter: number;
}

/** Appends before and right after one persist that replaces the last `removed` entries. */
export async function measureAfterTruncation(parent: string, count: number, removed: number, batch: number, bytes: number, seconds: number): Promise<ReshapeResult> {
  const { storage, done } = await freshStore(parent);
  try {
    await fill(storage, count, bytes);
    const before = await appendFor(storage, batch, bytes, seconds);
    const fileBytesBefore = fileSize(storage);
    const from = storage.log.lastIndex() - removed + 1;
    const changeMs = await timeOnce(() => storage.log.persist({ entries: entries(from, 1, 2, bytes) }));
    const after = await appendFor(storage, batch, bytes, seconds, 2);
    return { entries: count, removed, before, changeMs, after, fileBytesBefore, fileBytesAfter: fileSize(storage) };
  } finally {
    await done();
  }
}

/** Appends before and right after compacting the first `removed` entries. */
export async function measureAfterCompaction(parent: string, count: number, removed: number, batch: number, bytes: number, seconds: number): Promise<ReshapeResult> {
  const { storage, done } = await freshStore(parent);
  try {
    await fill(storage, count, bytes);
    const before = await appendFor(storage, batch, bytes, seconds);
    const fileBytesBefore = fileSize(storage);
    await storage.snapshots.write({ index: removed, term: 1, confState: { ...emptyConfState(), voters: [1] } }, new Uint8Array(0));
    const changeMs = await timeOnce(() => storage.log.compact(removed));
    const after = await appendFor(storage, batch, bytes, seconds);
    return { entries: count, removed, before, changeMs, after, fileBytesBefore, fileBytesAfter: fileSize(storage) };
  } finally {
    await done();
  }
}

/**
 * Ready cycles per second: persist `batch` entries with a hard state and
 * apply them (one put each), either in two transactions (`persist` then
 * `stateMachine.apply`) or in one (`persistAndApply`).
 */
export async function measureReadyCycle(parent: string, batch: number, bytes: number, seconds: number, oneTransaction: boolean): Promise<Rate> {
  const { storage, done } = await freshStore(parent);
  try {
    const value = new Uint8Array(bytes).fill(0x43);
    const applyEntry = (e: Entry, state: { put(key: Uint8Array, value: Uint8Array): void }): undefined => {
      state.put(Buffer.from(`key-${e.index % 100_000}`), value);
      return undefined;
    };
    return await runFor(seconds, async () => {
      const ents = entries(storage.log.lastIndex() + 1, batch, 1, bytes);
      const ready = { entries: ents, hardState: { term: 1, vote: 1, commit: ents[ents.length - 1]!.index }, committedEntries: ents };
      if (oneTransaction) {
        await storage.persistAndApply(ready, applyEntry);
      } else {
        await storage.log.persist(ready);
        await storage.stateMachine.apply(ready.committedEntries, applyEntry);
      }
    });
  } finally {
    await done();
  }
}

function fileSize(storage: RaftStorage): number {
  return statSync(join(storage.dataDir, LMDB_FILE)).size;
}
