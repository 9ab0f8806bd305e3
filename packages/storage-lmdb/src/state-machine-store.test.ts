import { type ConfState, type Entry, EntryType, SnapshotTemporarilyUnavailableError, emptyConfState } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageFailedError, StorageUsageError } from './errors.js';
import { MetaTable } from './meta-table.js';
import { RaftStorage } from './raft-storage.js';
import type { ApplyEntry } from './state-machine-store.js';
import { withRawTables } from './test-support/raw-tables.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
const open: RaftStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  dirs.cleanup();
});

async function openStorage(dataDir = dirs.make()): Promise<RaftStorage> {
  const s = await RaftStorage.open({ dataDir, bootstrap: { voters: [1, 2, 3] }, snapshotChunkBytes: 512 });
  open.push(s);
  return s;
}

async function reopen(s: RaftStorage): Promise<RaftStorage> {
  await s.close();
  return openStorage(s.dataDir);
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

/** Entries `set k=v` / `del k` after the bootstrap snapshot, written to the log so they can be applied. */
async function logCommands(s: RaftStorage, commands: string[]): Promise<Entry[]> {
  const first = s.log.lastIndex() + 1;
  const entries = commands.map((c, i) => ({ index: first + i, term: 1, type: EntryType.Normal, data: enc(c) }));
  await s.log.persist({ entries, hardState: { term: 1, vote: 0, commit: first + commands.length - 1 } });
  return entries;
}

const kv: ApplyEntry = (e, state) => {
  const [op, arg] = Buffer.from(e.data).toString('utf8').split(' ');
  if (op === 'set') {
    const [k, v] = arg!.split('=');
    state.put(enc(k!), enc(v!));
  } else if (op === 'del') {
    state.remove(enc(arg!));
  } else if (op === 'boom') {
    throw new Error('the application failed');
  }
};

function dump(s: RaftStorage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of s.stateMachine.range()) out[dec(r.key)!] = dec(r.value)!;
  return out;
}

describe('compacting through the applied state (on-demand snapshots)', () => {
  it('compacts the log through what was applied without a snapshot; snapshot() asks for one until it is taken', async () => {
    let s = await openStorage();
    const entries = await logCommands(s, ['set a=1', 'set b=2', 'set c=3', 'set d=4', 'set e=5']);
    await s.stateMachine.apply(entries.slice(0, 3), kv);
    const applied = entries[2]!.index;
    // Not beyond what was applied: those entries are the only copy.
    await expect(s.log.compact(applied + 1)).rejects.toThrow(
      new RegExp(`state machine in this environment has applied through ${applied}; apply or snapshot through ${applied + 1} first`),
    );
    await s.log.compact(applied);
    expect(s.log.firstIndex()).toBe(applied + 1);
    expect(() => s.log.snapshot()).toThrow(SnapshotTemporarilyUnavailableError);
    s = await reopen(s);
    expect(s.stateMachine.needsRestore()).toBe(false);
    expect(s.log.firstIndex()).toBe(applied + 1);
    expect(dump(s)).toEqual({ a: '1', b: '2', c: '3' });
    await s.stateMachine.apply(entries.slice(3), kv);
    expect(() => s.log.snapshot()).toThrow(SnapshotTemporarilyUnavailableError);
    const taken = await s.stateMachine.createSnapshot();
    expect(taken.metadata.index).toBe(entries[4]!.index);
    expect(s.log.snapshot().metadata.index).toBe(entries[4]!.index);
  });
});

describe('applying', () => {
  it('applies entries and records the applied index in one transaction that survives a reopen', async () => {
    let s = await openStorage();
    const base = s.stateMachine.appliedIndex();
    const entries = await logCommands(s, ['set a=1', 'set b=2', 'del a', 'set c=3']);
    await s.stateMachine.apply(entries, kv);
    s = await reopen(s);
    expect(s.stateMachine.appliedIndex()).toBe(base + 4);
    expect(dump(s)).toEqual({ b: '2', c: '3' });
    expect(dec(s.stateMachine.get(enc('b')))).toBe('2');
    expect(s.stateMachine.get(enc('a'))).toBeUndefined();
    expect([...s.stateMachine.range({ start: enc('b'), end: enc('c') })].map((r) => dec(r.key))).toEqual(['b']);
    expect([...s.stateMachine.range({ reverse: true, limit: 1 })].map((r) => dec(r.key))).toEqual(['c']);
  });

  it('skips entries already applied and refuses a gap', async () => {
    const s = await openStorage();
    const entries = await logCommands(s, ['set a=1', 'set a=2', 'set a=3']);
    await s.stateMachine.apply(entries.slice(0, 2), kv);
    await s.stateMachine.apply(entries, kv);
    expect(dump(s)).toEqual({ a: '3' });
    const more = await logCommands(s, ['set x=1', 'set y=1']);
    await expect(s.stateMachine.apply(more.slice(1), kv)).rejects.toThrow(
      new RegExp(`cannot apply entry ${more[1]!.index}: the applied index is ${entries[2]!.index}; expected entry ${more[0]!.index} next`),
    );
  });

  it('saves the membership a configuration change produced with the applied index', async () => {
    let s = await openStorage();
    const entries = await logCommands(s, ['set a=1', 'conf', 'set b=1']);
    const next: ConfState = { ...emptyConfState(), voters: [1, 2, 3], learners: [4] };
    await s.stateMachine.apply(entries, (e, state) => (e.index === entries[1]!.index ? next : kv(e, state)));
    s = await reopen(s);
    expect(s.log.initialState().confState).toEqual(next);
  });

  it('writes nothing of a batch whose callback throws, and stops the store', async () => {
    let s = await openStorage();
    const applied = s.stateMachine.appliedIndex();
    const entries = await logCommands(s, ['set a=1', 'boom', 'set b=2']);
    await expect(s.stateMachine.apply(entries, kv)).rejects.toThrow('the application failed');
    expect(() => s.stateMachine.get(enc('a'))).toThrow(StorageFailedError);
    expect(() => s.log.lastIndex()).toThrow(/stopped after an earlier failure \(the application failed\)/);
    s = await reopen(s);
    expect(s.stateMachine.appliedIndex()).toBe(applied);
    expect(dump(s)).toEqual({});
  });

  it('refuses writes that would nest inside an apply, and a writer kept after its callback', async () => {
    const s = await openStorage();
    const entries = await logCommands(s, ['set a=1', 'set b=1']);
    let kept: Parameters<ApplyEntry>[1] | undefined;
    await s.stateMachine.apply(entries.slice(0, 1), (e, state) => {
      kept = state;
      kv(e, state);
    });
    expect(() => kept!.put(enc('x'), enc('y'))).toThrow(/used after its apply\(\) callback returned/);
    const nested = s.stateMachine.apply(entries.slice(1), () => {
      // Not awaited, as a careless callback would; the apply fails all the same.
      s.log.persistWith({ hardState: { term: 1, vote: 0, commit: 1 } }).catch(() => {});
    });
    await expect(nested).rejects.toThrow(StorageUsageError);
    await expect(nested).rejects.toThrow(/cannot persist raft state from inside apply committed entries: storage writes must not nest/);
  });

  it('validates keys and values', async () => {
    const s = await openStorage();
    expect(() => s.stateMachine.get('k' as unknown as Uint8Array)).toThrow(/key is "k"; expected a Uint8Array of 1 to 1978 bytes/);
    expect(() => [...s.stateMachine.range({ start: new Uint8Array(2000) })]).toThrow(/range start is 2000 bytes/);
    const entries = await logCommands(s, ['x']);
    await expect(s.stateMachine.apply(entries, (_e, state) => state.put(new Uint8Array(0), enc('v')))).rejects.toThrow(
      /key is 0 bytes; expected a Uint8Array of 1 to 1978 bytes/,
    );
  });
});

describe('persist and apply in one transaction', () => {
  const ready = (s: RaftStorage, commands: string[]) => {
    const first = s.log.lastIndex() + 1;
    const entries = commands.map((c, i) => ({ index: first + i, term: 1, type: EntryType.Normal, data: enc(c) }));
    return { entries, hardState: { term: 1, vote: 0, commit: first + commands.length - 1 }, committedEntries: entries };
  };

  it('writes entries, hard state, application state and applied index together', async () => {
    let s = await openStorage();
    const rd = ready(s, ['set a=1', 'set b=2']);
    await s.persistAndApply(rd, kv);
    s = await reopen(s);
    expect(s.log.lastIndex()).toBe(rd.hardState.commit);
    expect(s.log.initialState().hardState).toEqual(rd.hardState);
    expect(s.stateMachine.appliedIndex()).toBe(rd.hardState.commit);
    expect(dump(s)).toEqual({ a: '1', b: '2' });
  });

  it('writes nothing at all when applying fails', async () => {
    let s = await openStorage();
    const before = { last: s.log.lastIndex(), applied: s.stateMachine.appliedIndex(), hardState: s.log.initialState().hardState };
    await expect(s.persistAndApply(ready(s, ['set a=1', 'boom']), kv)).rejects.toThrow('the application failed');
    s = await reopen(s);
    expect({ last: s.log.lastIndex(), applied: s.stateMachine.appliedIndex(), hardState: s.log.initialState().hardState }).toEqual(before);
    expect(dump(s)).toEqual({});
  });
});

describe('snapshots of the state', () => {
  it('takes a snapshot from one consistent view while applying continues, and restores it elsewhere', async () => {
    const s = await openStorage();
    const commands = Array.from({ length: 3000 }, (_, i) => `set key${String(i).padStart(5, '0')}=${'v'.repeat(i % 50)}${i}`);
    const entries = await logCommands(s, commands);
    await s.stateMachine.apply(entries, kv);
    const expected = dump(s);
    const taking = s.stateMachine.createSnapshot();
    // Applied after the snapshot started: not part of it.
    const later = await logCommands(s, ['set key00001=changed', 'set zzz=1']);
    await s.stateMachine.apply(later, kv);
    const snapshot = await taking;
    expect(snapshot.metadata).toEqual({ index: entries[entries.length - 1]!.index, term: 1, confState: s.log.initialState().confState });
    expect(await s.stateMachine.createSnapshot()).toMatchObject({ metadata: { index: later[1]!.index } });

    let t = await openStorage();
    const writer = await t.snapshots.createWriter(snapshot.metadata);
    for await (const chunk of await s.snapshots.openReader(snapshot.metadata)) await writer.write(chunk);
    await writer.commit();
    await t.log.persist({ snapshot: { metadata: snapshot.metadata, data: new Uint8Array(0) }, hardState: { term: 1, vote: 0, commit: snapshot.metadata.index } });
    expect(t.stateMachine.needsRestore()).toBe(true);
    await t.stateMachine.restoreFromSnapshot(snapshot.metadata);
    t = await reopen(t);
    expect(t.stateMachine.needsRestore()).toBe(false);
    expect(t.stateMachine.appliedIndex()).toBe(snapshot.metadata.index);
    expect(dump(t)).toEqual(expected);
  });

  it('finishes a restore interrupted by a crash, from the newest snapshot that fits the log', async () => {
    let s = await openStorage();
    const entries = await logCommands(s, ['set a=1', 'set b=2']);
    await s.stateMachine.apply(entries, kv);
    const snapshot = await s.stateMachine.createSnapshot();
    await s.close();
    // As if the process died right after the first restore transaction.
    await withRawTables(s.dataDir, (t) => t.state.clearSync());
    await withRawTables(s.dataDir, (t) => new MetaTable(t.meta, s.dataDir).put('restoring', snapshot.metadata));
    s = await openStorage(s.dataDir);
    expect(s.stateMachine.needsRestore()).toBe(true);
    await expect(s.stateMachine.apply([], kv)).rejects.toThrow(/must first be restored/);
    expect(await s.stateMachine.restoreIfNeeded()).toBe(true);
    expect(dump(s)).toEqual({ a: '1', b: '2' });
    expect(await s.stateMachine.restoreIfNeeded()).toBe(false);
  });

  it('refuses to restore a snapshot the log has not been brought to', async () => {
    const s = await openStorage();
    const metadata = { index: 40, term: 2, confState: s.log.initialState().confState };
    await s.snapshots.write(metadata, new Uint8Array(0));
    await expect(s.stateMachine.restoreFromSnapshot(metadata)).rejects.toThrow(/the log ends at 1; persist the snapshot into the log first/);
  });
});
