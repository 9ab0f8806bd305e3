import { afterEach, describe, expect, it } from 'vitest';
import { StorageCorruptionError } from './errors.js';
import { logKey } from './log-key.js';
import { RaftStorage } from './raft-storage.js';
import { entryRange } from './test-support/entries.js';
import { withRawTables } from './test-support/raw-tables.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
const open: RaftStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  dirs.cleanup();
});

/** A closed store holding entries 1..20 (term 1, then 2 from 11) and a hard state. */
async function closedStore(): Promise<string> {
  const dataDir = dirs.make();
  const s = await RaftStorage.open({ dataDir });
  await s.log.persist({ entries: entryRange(1, 21, (i) => (i <= 10 ? 1 : 2)), hardState: { term: 2, vote: 1, commit: 15 } });
  await s.close();
  return dataDir;
}

async function openStore(dataDir: string): Promise<RaftStorage> {
  const s = await RaftStorage.open({ dataDir });
  open.push(s);
  return s;
}

function flipByte(tables: Parameters<Parameters<typeof withRawTables>[1]>[0], index: number, offset: number): void {
  const key = logKey(index);
  const value = Buffer.from(tables.log.getBinary(key)!);
  value[offset]! ^= 0x01;
  tables.log.putSync(key, value);
}

function expectCorruption(f: () => unknown, dataDir: string, index: number | undefined, detail: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(StorageCorruptionError);
  const e = thrown as StorageCorruptionError;
  expect(e.dataDir).toBe(dataDir);
  expect(e.index).toBe(index);
  expect(e.message).toContain(dataDir);
  if (index !== undefined) expect(e.message).toContain(`at log index ${index}`);
  expect(e.message).toMatch(detail);
}

describe('a damaged entry', () => {
  it('is detected wherever a bit flips: in the term, the type or the data', async () => {
    for (const offset of [0, 5, 11, 12, 13, 20]) {
      const dataDir = await closedStore();
      await withRawTables(dataDir, (t) => flipByte(t, 7, offset));
      const s = await openStore(dataDir);
      expectCorruption(() => s.log.entries(5, 10, 1e9), dataDir, 7, /checksum mismatch/);
    }
  });

  it('makes the store refuse to serve anything afterwards', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => flipByte(t, 12, 14));
    const s = await openStore(dataDir);
    expect(s.log.term(5)).toBe(1);
    expectCorruption(() => s.log.term(12), dataDir, 12, /checksum mismatch/);
    // Even reads that would not touch the damaged entry are refused now.
    expectCorruption(() => s.log.lastIndex(), dataDir, 12, /checksum mismatch/);
    expectCorruption(() => s.log.term(5), dataDir, 12, /checksum mismatch/);
    await expect(s.log.persist({ entries: entryRange(21, 22, () => 2) })).rejects.toThrow(StorageCorruptionError);
    expect(() => s.stateMachine.appliedIndex()).toThrow(StorageCorruptionError);
  });

  it('is found by a full integrity check', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => flipByte(t, 3, 30));
    const s = await openStore(dataDir);
    expectCorruption(() => s.log.checkIntegrity(), dataDir, 3, /checksum mismatch/);
  });

  it('is detected when a value moved under another index', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => t.log.putSync(logKey(8), Buffer.from(t.log.getBinary(logKey(9))!)));
    const s = await openStore(dataDir);
    expectCorruption(() => s.log.entries(8, 9, 1e9), dataDir, 8, /checksum mismatch/);
  });

  it('fails the open when it is the last entry', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => flipByte(t, 20, 40));
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(/corrupted at log index 20: entry checksum mismatch/);
  });

  it('is reported when the value is truncated', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => t.log.putSync(logKey(4), Buffer.alloc(5)));
    const s = await openStore(dataDir);
    expectCorruption(() => s.log.term(4), dataDir, 4, /stored value is 5 bytes, shorter than the 13-byte entry header/);
  });
});

describe('a missing entry', () => {
  it('fails the open, naming the first missing index', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => t.log.removeSync(logKey(13)));
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(
      new RegExp(`raft storage in ${dataDir} is corrupted at log index 13: the entry is missing from inside the log \\[1, 20\\]`),
    );
  });

  it('fails the open when the log does not start right after its boundary', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => t.log.removeSync(logKey(1)));
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(/corrupted at log index 1: the entry is missing: the log should start there \(after the boundary 0\) but starts at 2/);
  });
});

describe('damaged records', () => {
  it('fails the open on a damaged hard state', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => {
      const value = Buffer.from(t.meta.getBinary('hardState')!);
      value[value.length - 2]! ^= 0x04;
      t.meta.putSync('hardState', value);
    });
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(/corrupted: meta record "hardState": checksum mismatch/);
  });

  it('fails the open on a key that is not a log index', async () => {
    const dataDir = await closedStore();
    await withRawTables(dataDir, (t) => t.log.putSync(Buffer.from('oops'), Buffer.alloc(20)));
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(/holds a 4-byte key that is not an 8-byte index/);
  });
});
