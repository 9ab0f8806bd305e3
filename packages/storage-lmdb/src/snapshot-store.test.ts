import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RaftLogger, type SnapshotMetadata, emptyConfState } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotCorruptionError, StorageUsageError } from './errors.js';
import { snapshotFileName } from './snapshot-format.js';
import { BROKEN_SUFFIX, SnapshotStore } from './snapshot-store.js';
import { payload } from './test-support/entries.js';
import { exposeGc } from './test-support/gc.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

interface Logged {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLogger(): RaftLogger & { records: Logged[] } {
  const records: Logged[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => records.push({ level, message, fields });
  return { records, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function open(dir: string, options: { retain?: number; chunkBytes?: number; logger?: RaftLogger } = {}): Promise<SnapshotStore> {
  return SnapshotStore.open({ dir, retain: options.retain ?? 3, sync: true, logger: options.logger ?? recordingLogger(), chunkBytes: options.chunkBytes ?? 1000 });
}

function meta(index: number, term = 1): SnapshotMetadata {
  return { index, term, confState: { ...emptyConfState(), voters: [1, 2, 3], learners: [4] } };
}

async function collect(reader: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of reader) chunks.push(c);
  return chunks;
}

describe('writing and reading', () => {
  it('streams a snapshot in and out in bounded chunks', async () => {
    const dir = dirs.make();
    const store = await open(dir, { chunkBytes: 4096 });
    const data = payload(9, 9, 100_000);
    const writer = await store.createWriter(meta(50, 3));
    // Un-awaited writes still land in order.
    const writes = [];
    for (let at = 0; at < data.length; at += 7000) writes.push(writer.write(data.subarray(at, at + 7000)));
    await Promise.all(writes);
    expect(store.latest()).toBeUndefined();
    const info = await writer.commit();
    expect(info).toMatchObject({ metadata: meta(50, 3), size: 100_000, path: join(dir, snapshotFileName(meta(50, 3))) });
    expect(store.latest()).toEqual(meta(50, 3));

    const reader = await store.openReader({ index: 50, term: 3 });
    expect(reader.metadata).toEqual(meta(50, 3));
    expect(reader.size).toBe(100_000);
    const chunks = await collect(reader);
    expect(Math.max(...chunks.map((c) => c.length))).toBe(4096);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('survives a reopen and reads back an empty snapshot', async () => {
    const dir = dirs.make();
    await (await open(dir)).write(meta(1), new Uint8Array(0));
    const store = await open(dir);
    expect(store.latest()).toEqual(meta(1));
    expect((await store.read(meta(1))).length).toBe(0);
  });

  it('leaves nothing behind when a writer is aborted, and refuses to use it after', async () => {
    const dir = dirs.make();
    const store = await open(dir);
    const writer = await store.createWriter(meta(5));
    await writer.write(payload(1, 1, 100));
    await writer.abort();
    expect(readdirSync(dir)).toEqual([]);
    expect(store.latest()).toBeUndefined();
    expect(() => writer.write(new Uint8Array(1))).toThrow(/cannot write snapshot 1\/5: the writer is already aborted/);
    await expect(writer.commit()).rejects.toThrow(StorageUsageError);
  });

  it('validates metadata and chunks', async () => {
    const store = await open(dirs.make());
    await expect(store.createWriter({ ...meta(0) })).rejects.toThrow(/snapshot metadata\.index is 0; expected an integer of at least 1/);
    await expect(store.createWriter({ ...meta(3), confState: { ...emptyConfState(), voters: [1, -2] } })).rejects.toThrow(
      /snapshot metadata\.confState\.voters\[1\] is -2; expected an integer of at least 1/,
    );
    const writer = await store.createWriter(meta(3));
    expect(() => writer.write('text' as unknown as Uint8Array)).toThrow(/snapshot chunk is "text"; expected a Uint8Array/);
    await writer.abort();
    await expect(store.openReader({ index: 9, term: 9 })).rejects.toThrow(/no snapshot at index 9 term 9 .*\(stored term\/index: none\)/);
  });

  it('keeps the newest ones within the retention, deleting older ones once a newer one is durable', async () => {
    const dir = dirs.make();
    const store = await open(dir, { retain: 2 });
    for (const i of [10, 30, 20, 40]) await store.write(meta(i), payload(i, 1, 10));
    expect(store.list().map((f) => f.metadata.index)).toEqual([40, 30]);
    expect(readdirSync(dir).sort()).toEqual([snapshotFileName(meta(30)), snapshotFileName(meta(40))]);
  });

  it('lets a reader finish a snapshot deleted by retention meanwhile', async () => {
    const store = await open(dirs.make(), { retain: 1, chunkBytes: 100 });
    await store.write(meta(10), payload(10, 1, 1000));
    const reader = await store.openReader(meta(10));
    await store.write(meta(20), payload(20, 1, 10));
    expect(store.find(meta(10))).toBeUndefined();
    expect(Buffer.concat(await collect(reader)).equals(payload(10, 1, 1000))).toBe(true);
  });
});

describe('opening', () => {
  it('verifies the newest snapshot by streaming it, never holding it whole in memory', async () => {
    const dir = dirs.make();
    const chunkBytes = 256 * 1024;
    const piece = payload(5, 5, 1 << 20);
    const pieces = 48;
    const writer = await (await open(dir, { chunkBytes })).createWriter(meta(5));
    for (let i = 0; i < pieces; i++) await writer.write(piece);
    await writer.commit();

    // Live memory (after full collections) sampled while the open reads the file.
    const gc = exposeGc();
    const probe = await openFile(join(dir, snapshotFileName(meta(5))), 'r');
    const handlePrototype = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realRead = handlePrototype.read;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let reads = 0;
    let samples = 0;
    let peak = 0;
    // A plain wrapper, not a vi.spyOn: a spy would keep every buffer read in its call records.
    handlePrototype.read = async function (this: unknown, ...args: unknown[]) {
      const result: unknown = await Reflect.apply(realRead, this, args);
      if (++reads % 8 === 0) {
        gc();
        samples += 1;
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
      return result;
    };
    try {
      const reopened = await open(dir, { chunkBytes });
      expect(reopened.latest()).toEqual(meta(5));
    } finally {
      handlePrototype.read = realRead;
    }
    expect(samples).toBeGreaterThan(4);
    // A whole copy would be 48 MiB; a chunk at a time is a few hundred KiB.
    expect(peak).toBeLessThan((pieces << 20) / 8);
  });
});

describe('damaged files', () => {
  async function twoSnapshots(dir: string): Promise<string> {
    const store = await open(dir);
    await store.write(meta(10), payload(10, 1, 5000));
    await store.write(meta(20), payload(20, 1, 5000));
    return join(dir, snapshotFileName(meta(20)));
  }

  it('ignores a newest snapshot with a flipped bit, setting it aside and reporting it', async () => {
    const dir = dirs.make();
    const newest = await twoSnapshots(dir);
    const bytes = readFileSync(newest);
    bytes[3000]! ^= 0x10;
    writeFileSync(newest, bytes);
    const logger = recordingLogger();
    const store = await open(dir, { logger });
    expect(store.latest()).toEqual(meta(10));
    expect(existsSync(newest)).toBe(false);
    expect(existsSync(newest + BROKEN_SUFFIX)).toBe(true);
    expect(logger.records).toEqual([
      expect.objectContaining({ level: 'error', message: 'ignoring a damaged snapshot file', fields: expect.objectContaining({ path: newest, error: expect.stringMatching(/checksum mismatch/) }) }),
    ]);
  });

  it('ignores a torn (truncated) snapshot', async () => {
    const dir = dirs.make();
    const newest = await twoSnapshots(dir);
    truncateSync(newest, 2500);
    const store = await open(dir);
    expect(store.latest()).toEqual(meta(10));
  });

  it('ignores a snapshot whose header disagrees with its name', async () => {
    const dir = dirs.make();
    const newest = await twoSnapshots(dir);
    const renamed = join(dir, snapshotFileName(meta(30)));
    writeFileSync(renamed, readFileSync(newest));
    const store = await open(dir);
    expect(store.latest()).toEqual(meta(20));
    expect(existsSync(renamed + BROKEN_SUFFIX)).toBe(true);
  });

  it('deletes temporary files left by a crash while writing', async () => {
    const dir = dirs.make();
    const store = await open(dir);
    const writer = await store.createWriter(meta(7));
    await writer.write(payload(1, 1, 100));
    // The process "dies" here: the writer is never committed nor aborted.
    expect(readdirSync(dir)).toHaveLength(1);
    const logger = recordingLogger();
    const reopened = await open(dir, { logger });
    expect(readdirSync(dir)).toEqual([]);
    expect(reopened.latest()).toBeUndefined();
    expect(logger.records.map((r) => r.message)).toEqual(['deleting a snapshot file left incomplete by a crash']);
    await writer.abort();
  });

  it('fails a reader at the end when the data was damaged after the open', async () => {
    const dir = dirs.make();
    const newest = await twoSnapshots(dir);
    const store = await open(dir);
    const bytes = readFileSync(newest);
    bytes[bytes.length - 100]! ^= 0x01;
    writeFileSync(newest, bytes);
    await expect(store.read(meta(20))).rejects.toThrow(SnapshotCorruptionError);
    await expect(store.read(meta(20))).rejects.toThrow(new RegExp(`snapshot file ${newest} is corrupted: checksum mismatch`));
  });
});
