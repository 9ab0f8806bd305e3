import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppliedEntry, EntryType, type RaftLogger } from '@raftkit/core';
import { RaftStorage } from '@raftkit/storage-lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCommand } from './commands.js';
import { KvStateMachine } from './kv-state-machine.js';

const quiet: RaftLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const put = (key: string, value: string): Uint8Array =>
  encodeCommand({
    type: 'put',
    request: { key: Buffer.from(key), value: Buffer.from(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false },
  });

describe('KvStateMachine', () => {
  let dir: string;
  let storage: RaftStorage;
  let sm: KvStateMachine;
  let next: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raftkit-kvsm-'));
    storage = await RaftStorage.open({ dataDir: dir, bootstrap: { voters: [1] } });
    sm = new KvStateMachine(storage, quiet);
    next = storage.stateMachine.appliedIndex() + 1;
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Appends entries to the log (the store applies only what the log holds) and applies them. */
  async function apply(...kinds: Array<{ kind: 'noop' } | { kind: 'normal'; payload: Uint8Array }>) {
    const entries: AppliedEntry[] = kinds.map((k) => ({ index: next++, term: 1, kind: k.kind, payload: k.kind === 'normal' ? k.payload : new Uint8Array() }));
    await storage.log.persist({
      entries: entries.map((e) => ({ index: e.index, term: e.term, type: EntryType.Normal, data: e.payload })),
      hardState: { term: 1, vote: 1, commit: entries[entries.length - 1]!.index },
    });
    return sm.apply(entries);
  }

  it('keeps the revision reads report in step with what was applied, batches of no-ops included', async () => {
    expect(sm.reader().revision()).toBe(1);
    // A batch that never touches the key-value store (a new leader's no-op).
    await apply({ kind: 'noop' });
    expect(sm.reader().revision()).toBe(1);
    const [first] = await apply({ kind: 'normal', payload: put('a', '1') });
    expect(first).toMatchObject({ revision: 2 });
    expect(sm.reader().revision()).toBe(2);
    await apply({ kind: 'noop' }, { kind: 'normal', payload: put('b', '2') }, { kind: 'normal', payload: put('a', '3') }, { kind: 'noop' });
    expect(sm.reader().revision()).toBe(4);
    expect(sm.reader().get(Buffer.from('a'))).toMatchObject({ createRevision: 2, modRevision: 4, version: 2 });
    await apply({ kind: 'noop' });
    expect(sm.reader().revision()).toBe(4);
  });

  it('writes the revision with the batch, so a restart reads it back', async () => {
    await apply({ kind: 'normal', payload: put('a', '1') }, { kind: 'normal', payload: put('b', '1') });
    await storage.close();
    storage = await RaftStorage.open({ dataDir: dir });
    expect(new KvStateMachine(storage, quiet).reader().revision()).toBe(3);
  });
});
