import { describe, expect, it } from 'vitest';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors.js';
import { MemoryStorage } from './storage.js';
import { logStorageConformanceCases } from './testing/log-storage-conformance.js';
import { EntryType, emptyConfState } from './types.js';

function openMemory() {
  const storage = new MemoryStorage();
  return {
    storage,
    append: (e: Parameters<MemoryStorage['append']>[0]) => storage.append(e),
    setHardState: (hs: Parameters<MemoryStorage['setHardState']>[0]) => storage.setHardState(hs),
    installSnapshot: (s: Parameters<MemoryStorage['applySnapshot']>[0]) => storage.applySnapshot(s),
    createSnapshot: (i: number, cs: Parameters<MemoryStorage['createSnapshot']>[1]) => {
      storage.createSnapshot(i, cs, new Uint8Array(0));
    },
    compact: (i: number) => storage.compact(i),
  };
}

describe('MemoryStorage conformance', () => {
  for (const c of logStorageConformanceCases) it(c.name, () => c.run(openMemory));
});

describe('MemoryStorage', () => {
  it('refuses stale snapshots and out-of-range compaction', () => {
    const s = new MemoryStorage();
    s.append([1, 2, 3].map((i) => ({ index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(1) })));
    s.createSnapshot(2, emptyConfState(), new Uint8Array([7]));
    expect(() => s.createSnapshot(1, emptyConfState(), new Uint8Array())).toThrow(SnapshotOutOfDateError);
    expect(() => s.applySnapshot({ metadata: { index: 1, term: 1, confState: emptyConfState() }, data: new Uint8Array() })).toThrow(
      SnapshotOutOfDateError,
    );
    s.compact(2);
    expect(() => s.compact(1)).toThrow(CompactedError);
    expect(() => s.compact(9)).toThrow(UnavailableError);
    expect(() => s.createSnapshot(9, emptyConfState(), new Uint8Array())).toThrow(UnavailableError);
    expect(s.snapshot().data).toEqual(new Uint8Array([7]));
  });

  it('skips entries already compacted and refuses a gap', () => {
    const s = new MemoryStorage();
    s.append([1, 2, 3, 4].map((i) => ({ index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(1) })));
    s.createSnapshot(3, emptyConfState(), new Uint8Array());
    s.compact(3);
    s.append([2, 3, 4, 5].map((i) => ({ index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(1) })));
    expect(s.lastIndex()).toBe(5);
    s.append([{ index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array() }]);
    expect(s.lastIndex()).toBe(5);
    expect(() => s.append([{ index: 9, term: 1, type: EntryType.Normal, data: new Uint8Array() }])).toThrow(/missing log entry/);
  });

  it('keeps the membership given at bootstrap and set later', () => {
    const s = MemoryStorage.withMembers([1, 2], [3]);
    expect(s.initialState().confState.voters).toEqual([1, 2]);
    expect(s.initialState().confState.learners).toEqual([3]);
    s.setConfState({ ...emptyConfState(), voters: [1, 2, 3] });
    expect(s.initialState().confState.voters).toEqual([1, 2, 3]);
  });
});
