import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType } from '@raftkit/core';
import { RaftStorage } from '@raftkit/storage-lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lmdbTableReader } from './lmdb-table.js';
import { MemoryTable, type KvRecord, type ScanOptions } from './table.js';

const bytes = (s: string): Uint8Array => Buffer.from(s);
const keys = (records: Iterable<KvRecord>): string[] => [...records].map((r) => Buffer.from(r.key).toString());

describe('lmdbTableReader', () => {
  let dir: string;
  let storage: RaftStorage;
  const memory = new MemoryTable();
  const stored = ['a', 'b', 'ba', 'c', 'd', 'e\u00ff', 'f'];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raftkit-lmdb-table-'));
    storage = await RaftStorage.open({ dataDir: dir, bootstrap: { voters: [1] } });
    const index = storage.stateMachine.appliedIndex() + 1;
    const entry = { index, term: 1, type: EntryType.Normal, data: new Uint8Array() };
    await storage.log.persist({ entries: [entry], hardState: { term: 1, vote: 1, commit: index } });
    await storage.stateMachine.apply([entry], (_e, state) => {
      for (const k of stored) state.put(bytes(k), bytes(`v-${k}`));
    });
    for (const k of stored) memory.put(bytes(k), bytes(`v-${k}`));
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Bounds on stored keys, between them and past both ends: start is
  // inclusive and end exclusive in both directions, exactly as MemoryTable.
  const bounds = [undefined, 'a', 'b', 'b\u0000', 'bb', 'c', 'e', 'f', 'g'];
  const cases: ScanOptions[] = [];
  for (const start of bounds)
    for (const end of bounds)
      for (const reverse of [false, true])
        for (const limit of [undefined, 0, 1, 2])
          cases.push({
            ...(start !== undefined ? { start: bytes(start) } : {}),
            ...(end !== undefined ? { end: bytes(end) } : {}),
            reverse,
            ...(limit !== undefined ? { limit } : {}),
          });

  it('scans [start, end) forwards and backwards, with limits, exactly like the in-memory table', () => {
    const table = lmdbTableReader(storage.stateMachine);
    for (const options of cases) {
      const label = JSON.stringify({ ...options, start: options.start && Buffer.from(options.start).toString(), end: options.end && Buffer.from(options.end).toString() });
      expect(keys(table.range(options)), label).toEqual(keys(memory.range(options)));
    }
  });

  it('walks backwards from just below the end, including the start key', () => {
    const table = lmdbTableReader(storage.stateMachine);
    expect(keys(table.range({ start: bytes('b'), end: bytes('d'), reverse: true }))).toEqual(['c', 'ba', 'b']);
    expect(keys(table.range({ start: bytes('b'), end: bytes('d'), reverse: true, limit: 2 }))).toEqual(['c', 'ba']);
    expect(keys(table.range({ reverse: true, limit: 1 }))).toEqual(['f']);
  });
});
