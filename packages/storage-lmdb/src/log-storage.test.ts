import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompactedError,
  type Entry,
  EntryType,
  MemoryStorage,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
  emptyConfState,
  randomInt,
  seededRandom,
} from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageUsageError } from './errors.js';
import { RaftStorage, type RaftStorageOptions, SNAPSHOT_DIR } from './raft-storage.js';
import { entryRange, payload, summarize } from './test-support/entries.js';
import { countLogKeys } from './test-support/raw-tables.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
const open: RaftStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  dirs.cleanup();
});

async function openStorage(options: Partial<RaftStorageOptions> & { dataDir?: string } = {}): Promise<RaftStorage> {
  const storage = await RaftStorage.open({ dataDir: options.dataDir ?? dirs.make(), ...options });
  open.push(storage);
  return storage;
}

async function reopen(storage: RaftStorage, options: Partial<RaftStorageOptions> = {}): Promise<RaftStorage> {
  await storage.close();
  return openStorage({ ...options, dataDir: storage.dataDir });
}

const voters = { ...emptyConfState(), voters: [1, 2, 3] };

describe('round trips', () => {
  it('reads back entries of every type and size, with their terms, after a reopen', async () => {
    let s = await openStorage();
    const ents: Entry[] = [
      { index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array(0) },
      { index: 2, term: 1, type: EntryType.ConfChange, data: payload(2, 1, 40) },
      { index: 3, term: 2, type: EntryType.Normal, data: payload(3, 2, 200_000) },
      { index: 4, term: 2 ** 40, type: EntryType.Normal, data: payload(4, 5, 7) },
    ];
    await s.log.persist({ entries: ents, hardState: { term: 2 ** 40, vote: 2, commit: 3 } });
    for (const reopened of [false, true]) {
      if (reopened) s = await reopen(s);
      expect(s.log.firstIndex()).toBe(1);
      expect(s.log.lastIndex()).toBe(4);
      expect(summarize(s.log.entries(1, 5, Number.MAX_SAFE_INTEGER))).toEqual(summarize(ents));
      expect([0, 1, 2, 3, 4].map((i) => s.log.term(i))).toEqual([0, 1, 1, 2, 2 ** 40]);
      expect(s.log.initialState().hardState).toEqual({ term: 2 ** 40, vote: 2, commit: 3 });
    }
  });

  it('returns entries the caller owns: later reads do not change them', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 4, () => 1, 16) });
    const first = s.log.entries(1, 2, 1e9)[0]!;
    const copy = Uint8Array.from(first.data);
    s.log.entries(2, 4, 1e9);
    s.log.term(2);
    expect(first.data).toEqual(copy);
    expect(first.data.buffer.byteLength).toBe(16);
  });

  it('sizes entries() like the core: at least one entry, then as many as fit in maxBytes', async () => {
    const s = await openStorage();
    const random = seededRandom(7);
    const ents = entryRange(1, 60, () => 1, 0).map((e) => ({ ...e, data: payload(e.index, 1, randomInt(random, 0, 300)) }));
    await s.log.persist({ entries: ents });
    const mem = new MemoryStorage();
    mem.append(ents);
    for (let k = 0; k < 200; k++) {
      const lo = randomInt(random, 1, 60);
      const hi = randomInt(random, lo + 1, 61);
      const maxBytes = randomInt(random, 0, 4000);
      expect(summarize(s.log.entries(lo, hi, maxBytes))).toEqual(summarize(mem.entries(lo, hi, maxBytes)));
    }
  });

  it('raises the core errors at the edges of the log', async () => {
    const s = await openStorage();
    expect(() => s.log.entries(1, 2, 100)).toThrow(UnavailableError);
    await s.log.persist({ entries: entryRange(1, 11, () => 1) });
    await s.snapshots.write({ index: 5, term: 1, confState: voters }, new Uint8Array(0));
    await s.log.compact(5);
    expect(() => s.log.term(4)).toThrow(CompactedError);
    expect(s.log.term(5)).toBe(1);
    expect(() => s.log.term(11)).toThrow(UnavailableError);
    expect(() => s.log.entries(5, 7, 100)).toThrow(CompactedError);
    expect(() => s.log.entries(6, 12, 100)).toThrow(UnavailableError);
    expect(() => s.log.entries(8, 7, 100)).toThrow(/hi is 7; expected at least lo \(8\)/);
  });
});

describe('appends', () => {
  it('truncates a conflicting suffix, however long, in the same transaction', async () => {
    let s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 20_001, () => 1) });
    await s.log.persist({ entries: entryRange(101, 103, () => 2), hardState: { term: 2, vote: 1, commit: 100 } });
    s = await reopen(s);
    expect(s.log.lastIndex()).toBe(102);
    expect(s.log.term(100)).toBe(1);
    expect(s.log.term(101)).toBe(2);
    expect(s.log.entries(99, 103, 1e9).map((e) => [e.index, e.term])).toEqual([
      [99, 1],
      [100, 1],
      [101, 2],
      [102, 2],
    ]);
    expect(countLogKeys(s)).toBe(102);
    expect(s.log.checkIntegrity()).toEqual({ firstIndex: 1, lastIndex: 102, entries: 102 });
  });

  it('refuses input that would break the log, naming the value and what was expected', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 11, () => 2), hardState: { term: 2, vote: 1, commit: 5 } });
    const refused: [string, () => Promise<void>, RegExp][] = [
      ['a gap', () => s.log.persist({ entries: entryRange(13, 14, () => 2) }), /start at index 13 but the log ends at 10; expected at most 11/],
      [
        'a hole in the batch',
        () => s.log.persist({ entries: [...entryRange(11, 12, () => 2), ...entryRange(13, 14, () => 2)] }),
        /entries\[1\]\.index is 13; expected 12/,
      ],
      ['a lower term than the entry before', () => s.log.persist({ entries: entryRange(11, 12, () => 1) }), /entry 11 has term 1; expected at least 2/],
      ['overwriting committed entries', () => s.log.persist({ entries: entryRange(5, 6, () => 3) }), /from index 5 would overwrite committed entries \(commit index 5\)/],
      ['a term going back', () => s.log.persist({ hardState: { term: 1, vote: 0, commit: 5 } }), /hardState\.term is 1; expected at least the stored term 2/],
      ['a second vote in one term', () => s.log.persist({ hardState: { term: 2, vote: 3, commit: 5 } }), /vote of term 2 was already given to 1/],
      ['a commit beyond the log', () => s.log.persist({ hardState: { term: 2, vote: 1, commit: 11 } }), /hardState\.commit is 11; expected at most the last index 10/],
      ['a negative index', () => s.log.persist({ entries: [{ index: -1, term: 2, type: 0, data: new Uint8Array() }] }), /entries\[0\]\.index is -1; expected an integer of at least 1/],
      ['an unknown type', () => s.log.persist({ entries: [{ index: 11, term: 2, type: 7 as EntryType, data: new Uint8Array() }] }), /entries\[0\]\.type is 7/],
    ];
    for (const [what, attempt, message] of refused) {
      await expect(attempt(), what).rejects.toThrow(StorageUsageError);
      await expect(attempt(), what).rejects.toThrow(message);
    }
    // Refused input changed nothing and left the store usable.
    expect(s.log.lastIndex()).toBe(10);
    expect(s.log.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 5 });
    await s.log.persist({ entries: entryRange(6, 8, () => 3), hardState: { term: 3, vote: 0, commit: 5 } });
    expect(s.log.lastIndex()).toBe(7);
  });

  it('skips entries already covered by the log boundary', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 11, () => 1) });
    await s.snapshots.write({ index: 6, term: 1, confState: voters }, new Uint8Array(0));
    await s.log.compact(6);
    await s.log.persist({ entries: entryRange(4, 13, (i) => (i <= 8 ? 1 : 2)) });
    expect(s.log.firstIndex()).toBe(7);
    expect(s.log.lastIndex()).toBe(12);
    expect(s.log.term(9)).toBe(2);
  });
});

describe('compaction', () => {
  it('needs a durable snapshot (or applied state, see state-machine-store.test.ts) that covers the compacted prefix', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 11, () => 1) });
    await expect(s.log.compact(5)).rejects.toThrow(
      /latest durable snapshot is missing and the state machine in this environment has applied through 0; apply or snapshot through 5 first/,
    );
    await s.snapshots.write({ index: 4, term: 1, confState: voters }, new Uint8Array(0));
    await expect(s.log.compact(5)).rejects.toThrow(/latest durable snapshot is at index 4/);
    await s.log.compact(4);
    await expect(s.log.compact(4)).rejects.toThrow(CompactedError);
    await expect(s.log.compact(11)).rejects.toThrow(UnavailableError);
  });

  it('deletes a long prefix in batches, keeping the boundary term', async () => {
    let s = await openStorage({ compactionBatch: 1000 });
    await s.log.persist({ entries: entryRange(1, 10_001, (i) => (i <= 7000 ? 1 : 2)) });
    await s.snapshots.write({ index: 7000, term: 1, confState: voters }, new Uint8Array(0));
    await s.log.compact(7000);
    expect(countLogKeys(s)).toBe(3000);
    s = await reopen(s);
    expect(s.log.firstIndex()).toBe(7001);
    expect(s.log.term(7000)).toBe(1);
    expect(s.log.snapshot().metadata).toMatchObject({ index: 7000, term: 1 });
    expect(s.log.checkIntegrity().entries).toBe(3000);
  });

  it('finishes a compaction that was interrupted, on the next open', async () => {
    let s = await openStorage({ compactionBatch: 100 });
    await s.log.persist({ entries: entryRange(1, 5001, () => 1) });
    await s.snapshots.write({ index: 4000, term: 1, confState: voters }, new Uint8Array(0));
    const compacting = s.log.compact(4000);
    // Closing stops the batches after the first; the boundary is already durable.
    await s.close();
    await compacting;
    s = await openStorage({ dataDir: s.dataDir, compactionBatch: 100 });
    expect(s.log.firstIndex()).toBe(4001);
    expect(countLogKeys(s)).toBe(1000);
    expect(s.log.checkIntegrity()).toEqual({ firstIndex: 4001, lastIndex: 5000, entries: 1000 });
  });

  it('reports the snapshot as unavailable when the one covering the boundary is gone', async () => {
    let s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 11, () => 1) });
    await s.snapshots.write({ index: 5, term: 1, confState: voters }, new Uint8Array(0));
    await s.log.compact(5);
    await s.close();
    rmSync(join(s.dataDir, SNAPSHOT_DIR), { recursive: true });
    s = await openStorage({ dataDir: s.dataDir });
    expect(() => s.log.snapshot()).toThrow(SnapshotTemporarilyUnavailableError);
  });
});

describe('snapshots in persist', () => {
  it('installs a received snapshot: the log is replaced and the membership taken from it', async () => {
    let s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 31, () => 1), hardState: { term: 1, vote: 1, commit: 3 } });
    const metadata = { index: 100, term: 5, confState: { ...voters, learners: [4] } };
    await s.snapshots.write(metadata, payload(0, 0, 1000));
    await s.log.persist({ snapshot: { metadata, data: new Uint8Array(0) }, entries: entryRange(101, 104, () => 5), hardState: { term: 5, vote: 0, commit: 100 } });
    s = await reopen(s);
    expect(s.log.firstIndex()).toBe(101);
    expect(s.log.lastIndex()).toBe(103);
    expect(s.log.term(100)).toBe(5);
    expect(countLogKeys(s)).toBe(3);
    expect(s.log.initialState()).toEqual({ hardState: { term: 5, vote: 0, commit: 100 }, confState: metadata.confState });
    expect(s.log.snapshot()).toEqual({ metadata, data: new Uint8Array(0) });
  });

  it('writes the file itself when the bytes come inline, and refuses a snapshot whose bytes are nowhere', async () => {
    const s = await openStorage();
    const metadata = { index: 10, term: 2, confState: voters };
    await expect(s.log.persist({ snapshot: { metadata, data: new Uint8Array(0) } })).rejects.toThrow(/has no file in .*snap and carries no bytes/);
    await s.log.persist({ snapshot: { metadata, data: payload(1, 1, 500) } });
    expect(Buffer.from(await s.snapshots.read(metadata)).equals(payload(1, 1, 500))).toBe(true);
    await expect(s.log.persist({ snapshot: { metadata: { ...metadata, index: 9 }, data: payload(1, 1, 5) } })).rejects.toThrow(SnapshotOutOfDateError);
  });
});

describe('bootstrap', () => {
  it('starts a founding member exactly like MemoryStorage.withMembers, once', async () => {
    let s = await openStorage({ bootstrap: { voters: [1, 2, 3], learners: [4] } });
    const reference = MemoryStorage.withMembers([1, 2, 3], [4]);
    const check = (): void => {
      expect(s.log.initialState()).toEqual(reference.initialState());
      expect(s.log.firstIndex()).toBe(reference.firstIndex());
      expect(s.log.lastIndex()).toBe(reference.lastIndex());
      expect(s.log.snapshot().metadata).toEqual(reference.snapshot().metadata);
      expect(s.stateMachine.appliedIndex()).toBe(reference.firstIndex() - 1);
      expect(s.stateMachine.needsRestore()).toBe(false);
    };
    check();
    s = await reopen(s, { bootstrap: { voters: [7] } });
    check();
  });

  it('refuses a malformed membership', async () => {
    const dataDir = dirs.make();
    await expect(RaftStorage.open({ dataDir, bootstrap: { voters: [] } })).rejects.toThrow(/bootstrap\.voters is an array of 0; expected a non-empty array/);
    await expect(RaftStorage.open({ dataDir, bootstrap: { voters: [1, 0] } })).rejects.toThrow(/bootstrap\.voters\[1\] is 0; expected an integer of at least 1/);
    await expect(RaftStorage.open({ dataDir, bootstrap: { voters: [1, 2], learners: [2] } })).rejects.toThrow(/member 2 is listed twice/);
    await expect(RaftStorage.open({ dataDir: '' })).rejects.toThrow(/dataDir is ""; expected the path/);
  });
});

describe('lifecycle', () => {
  it('refuses use after close', async () => {
    const s = await openStorage();
    await s.close();
    expect(() => s.log.lastIndex()).toThrow(/is closed/);
    await expect(s.log.persist({ entries: entryRange(1, 2, () => 1) })).rejects.toThrow(/is closed/);
    await s.close();
  });

  it('refuses a second open of the same directory in one process', async () => {
    const s = await openStorage();
    await expect(RaftStorage.open({ dataDir: s.dataDir })).rejects.toThrow(/is already open in this process; close it before opening it again/);
    expect(s.log.lastIndex()).toBe(0);
  });

  it('keeps at most the retained number of snapshots', async () => {
    const s = await openStorage({ retainSnapshots: 2 });
    await s.log.persist({ entries: entryRange(1, 11, () => 1) });
    for (const index of [2, 4, 6]) await s.snapshots.write({ index, term: 1, confState: voters }, new Uint8Array(0));
    expect(s.snapshots.list().map((f) => f.metadata.index)).toEqual([6, 4]);
    expect(readdirSync(join(s.dataDir, SNAPSHOT_DIR)).sort()).toEqual(['0000000000000001-0000000000000004.snap', '0000000000000001-0000000000000006.snap']);
  });
});

describe('against MemoryStorage', () => {
  it('agrees with the reference store over random appends, truncations, compactions and reopens', async () => {
    const random = seededRandom(2024);
    let s = await openStorage({ compactionBatch: 17 });
    const mem = new MemoryStorage();
    let term = 1;
    for (let step = 0; step < 300; step++) {
      const roll = random();
      const first = mem.firstIndex();
      const last = mem.lastIndex();
      if (roll < 0.6) {
        // Append from anywhere in the uncommitted tail, possibly truncating.
        const from = randomInt(random, Math.max(first, last - 5), last + 2);
        if (random() < 0.3) term += 1;
        const ents = entryRange(from, from + randomInt(random, 1, 20), () => term, randomInt(random, 0, 64));
        await s.log.persist({ entries: ents });
        mem.append(ents);
      } else if (roll < 0.8 && last - first > 10) {
        const at = randomInt(random, first, last - 5);
        await s.snapshots.write({ index: at, term: mem.term(at), confState: voters }, new Uint8Array(0));
        await s.log.compact(at);
        mem.compact(at);
      } else if (roll < 0.85) {
        s = await reopen(s, { compactionBatch: 17 });
      }
      expect([s.log.firstIndex(), s.log.lastIndex()]).toEqual([mem.firstIndex(), mem.lastIndex()]);
      const terms = (t: (i: number) => number): number[] => {
        const out: number[] = [];
        for (let i = mem.firstIndex() - 1; i <= mem.lastIndex(); i++) out.push(t(i));
        return out;
      };
      expect(terms((i) => s.log.term(i))).toEqual(terms((i) => mem.term(i)));
      if (mem.lastIndex() >= mem.firstIndex()) {
        const lo = randomInt(random, mem.firstIndex(), mem.lastIndex() + 1);
        const hi = randomInt(random, lo + 1, mem.lastIndex() + 2);
        const maxBytes = randomInt(random, 0, 500);
        expect(summarize(s.log.entries(lo, hi, maxBytes))).toEqual(summarize(mem.entries(lo, hi, maxBytes)));
      }
    }
    expect(s.log.checkIntegrity().lastIndex).toBe(mem.lastIndex());
  });
});
