/**
 * A snapshot exists only once its bytes and its name are on disk: the file
 * is flushed before the rename, the directory after it, and only then does
 * the store list it. A killed process keeps the page cache, so crash tests
 * cannot see a missing flush; these tests watch the flushes themselves.
 */
import type * as NodeFs from 'node:fs';
import { existsSync, fdatasyncSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SnapshotMetadata, emptyConfState, silentLogger } from '@raftkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as FsDurability from './fs-durability.js';
import { syncDirectory, syncDirectorySync } from './fs-durability.js';
import { snapshotFileName } from './snapshot-format.js';
import { SnapshotStore } from './snapshot-store.js';
import { payload } from './test-support/entries.js';
import { TempDirs } from './test-support/temp-dirs.js';

vi.mock('./fs-durability.js', async (importOriginal) => {
  const actual = await importOriginal<typeof FsDurability>();
  return { ...actual, syncDirectory: vi.fn(actual.syncDirectory), syncDirectorySync: vi.fn(actual.syncDirectorySync) };
});
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeFs>();
  return { ...actual, fdatasyncSync: vi.fn(actual.fdatasyncSync) };
});

const dirs = new TempDirs();
let fileHandlePrototype: { datasync: () => Promise<void> };
beforeEach(async () => {
  const probe = await openFile(fileURLToPath(import.meta.url), 'r');
  fileHandlePrototype = Object.getPrototypeOf(probe) as typeof fileHandlePrototype;
  await probe.close();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.mocked(syncDirectory).mockReset();
  vi.mocked(syncDirectorySync).mockReset();
  vi.mocked(fdatasyncSync).mockReset();
  dirs.cleanup();
});

const meta = (index: number): SnapshotMetadata => ({ index, term: 2, confState: { ...emptyConfState(), voters: [1, 2, 3] } });

function openStore(dir: string, sync = true): Promise<SnapshotStore> {
  return SnapshotStore.open({ dir, retain: 2, sync, logger: silentLogger });
}

describe('committing a streamed snapshot', () => {
  it('flushes the file before renaming it, and the directory before the snapshot exists', async () => {
    const dir = dirs.make();
    const store = await openStore(dir);
    const finalPath = join(dir, snapshotFileName(meta(7)));
    const realDatasync = fileHandlePrototype.datasync;
    let renamedAtDatasync: boolean | undefined;
    const datasync = vi.spyOn(fileHandlePrototype, 'datasync').mockImplementation(function (this: unknown) {
      renamedAtDatasync = existsSync(finalPath);
      return realDatasync.call(this);
    });

    let releaseDirectory!: () => void;
    const directoryGate = new Promise<void>((resolve) => (releaseDirectory = resolve));
    let renamedAtDirectorySync: boolean | undefined;
    vi.mocked(syncDirectory).mockImplementationOnce(async (d) => {
      expect(d).toBe(dir);
      renamedAtDirectorySync = existsSync(finalPath);
      await directoryGate;
    });

    const writer = await store.createWriter(meta(7));
    await writer.write(payload(1, 1, 10_000));
    let committed = false;
    const commit = writer.commit().then((info) => {
      committed = true;
      return info;
    });
    await vi.waitFor(() => expect(syncDirectory).toHaveBeenCalledTimes(1));
    expect(datasync).toHaveBeenCalledTimes(1);
    expect(renamedAtDatasync, 'the file was renamed into place before its bytes were flushed').toBe(false);
    expect(renamedAtDirectorySync, 'the directory was flushed before the rename').toBe(true);
    // Not durable under its name yet: not committed, not listed.
    await new Promise((r) => setTimeout(r, 20));
    expect(committed).toBe(false);
    expect(store.latest()).toBeUndefined();
    releaseDirectory();
    expect((await commit).path).toBe(finalPath);
    expect(store.latest()).toEqual(meta(7));
  });

  it('flushes nothing in the unsafe no-sync mode', async () => {
    const store = await openStore(dirs.make(), false);
    const datasync = vi.spyOn(fileHandlePrototype, 'datasync');
    await store.write(meta(3), payload(1, 1, 100));
    store.writeSync(meta(4), payload(1, 1, 100));
    expect(datasync).not.toHaveBeenCalled();
    expect(syncDirectory).not.toHaveBeenCalled();
    expect(syncDirectorySync).not.toHaveBeenCalled();
    expect(fdatasyncSync).not.toHaveBeenCalled();
  });
});

describe('writing a snapshot at once', () => {
  it('flushes the file before the rename and the directory after it', async () => {
    const dir = dirs.make();
    const store = await openStore(dir);
    const finalPath = join(dir, snapshotFileName(meta(9)));
    const seen: string[] = [];
    vi.mocked(fdatasyncSync).mockImplementationOnce(() => {
      seen.push(`fdatasync, renamed: ${existsSync(finalPath)}`);
    });
    vi.mocked(syncDirectorySync).mockImplementationOnce((d) => {
      seen.push(`directory ${d === dir ? 'snap' : d}, renamed: ${existsSync(finalPath)}`);
    });
    store.writeSync(meta(9), payload(2, 2, 1000));
    expect(seen).toEqual(['fdatasync, renamed: false', 'directory snap, renamed: true']);
    expect(store.latest()).toEqual(meta(9));
  });
});
