import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppliedEntry, ConfChangeTransition, ConfChangeType, EntryType, type RaftLogger } from '@raftkit/core';
import { RaftStorage } from '@raftkit/storage-lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMemberContext, isRemoved, readMember } from '../cluster/registry.js';
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
  async function apply(...kinds: Array<{ kind: 'noop' } | { kind: 'normal'; payload: Uint8Array } | Pick<AppliedEntry, 'kind' | 'confChange' | 'confState'>>) {
    const entries: AppliedEntry[] = kinds.map((k) => ({ payload: new Uint8Array(), ...k, index: next++, term: 1 }));
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

  it('applies a refused txn as a result and changes nothing, in the batch it shares with other entries', async () => {
    await apply({ kind: 'normal', payload: put('k', 'v1') });
    const before = sm.hash();
    const putOp = (key: string, ignoreValue = false) => ({
      request: { $case: 'requestPut' as const, value: { key: Buffer.from(key), value: Buffer.from('x'), lease: 0, prevKv: false, ignoreValue, ignoreLease: false } },
    });
    const refused = encodeCommand({
      type: 'txn',
      request: {
        compare: [],
        success: [
          putOp('other'),
          { request: { $case: 'requestTxn', value: { compare: [], success: [{ request: { $case: 'requestDeleteRange', value: { key: Buffer.from('k'), rangeEnd: new Uint8Array(), prevKv: false } } }], failure: [] } } },
          putOp('k', true),
        ],
        failure: [],
      },
    });
    const [noop, result] = await apply({ kind: 'noop' }, { kind: 'normal', payload: refused });
    expect(noop).toBeUndefined();
    expect(result).toMatchObject({ error: { code: 'duplicate-key', message: 'etcdserver: duplicate key given in txn request' } });
    expect(sm.hash()).toEqual({ ...before, appliedIndex: before.appliedIndex + 2 });
    expect(sm.reader().get(Buffer.from('other'))).toBeUndefined();
  });

  it('records a removed member on apply, and a member restored from a snapshot knows it too', async () => {
    const removal = {
      kind: 'conf-change' as const,
      confChange: { transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.RemoveNode, nodeId: 2 }], context: new Uint8Array() },
      confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    };
    await apply({ kind: 'normal', payload: put('a', '1') }, removal);
    expect(isRemoved(sm.readTable(), 2)).toBe(true);
    expect(sm.takeMembershipChange()).toBe(true);

    await sm.createSnapshot({ index: 0, term: 0, confState: removal.confState });
    const snapshot = storage.snapshots.latest()!;
    const otherDir = mkdtempSync(join(tmpdir(), 'raftkit-kvsm-'));
    const other = await RaftStorage.open({ dataDir: otherDir, bootstrap: { voters: [1] } });
    try {
      const writer = await other.snapshots.createWriter(snapshot);
      for await (const chunk of await storage.snapshots.openReader(snapshot)) await writer.write(chunk);
      await writer.commit();
      await other.log.persist({ snapshot: { metadata: snapshot, data: new Uint8Array(0) }, hardState: { term: 1, vote: 0, commit: snapshot.index } });
      const restored = new KvStateMachine(other, quiet);
      await restored.restoreSnapshot({ metadata: snapshot, data: new Uint8Array(0) });
      expect(isRemoved(restored.readTable(), 2)).toBe(true);
      expect(isRemoved(restored.readTable(), 1)).toBe(false);
      expect(restored.reader().get(Buffer.from('a'))).toBeDefined();
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("keeps the name an operator gave a member that publishes its addresses without one", async () => {
    const member = (name?: string) => ({
      kind: 'conf-change' as const,
      confChange: {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: name === undefined ? ConfChangeType.AddLearner : ConfChangeType.UpdateNode, nodeId: 2 }],
        context: encodeMemberContext({ name: name ?? 'm2', peerUrls: ['127.0.0.1:2480'] }),
      },
      confState: { voters: [1], learners: [2], votersOutgoing: [], learnersNext: [], autoLeave: false },
    });
    const attributes = (request: { id: number; name?: string; clientUrls: string[] }) => ({ kind: 'normal' as const, payload: encodeCommand({ type: 'member-attributes', request }) });
    const registry = () => readMember(sm.readTable(), 2);

    await apply(member());
    await apply(attributes({ id: 2, clientUrls: ['127.0.0.1:2479'] }));
    expect(registry()).toEqual({ id: 2, name: 'm2', peerUrls: ['127.0.0.1:2480'], clientUrls: ['127.0.0.1:2479'] });
    await apply(member('two'));
    await apply(attributes({ id: 2, clientUrls: ['127.0.0.1:2479'] }));
    expect(registry()?.name).toBe('two');
    // A member started with a name of its own publishes it.
    await apply(attributes({ id: 2, name: 'beta', clientUrls: ['127.0.0.1:2479'] }));
    expect(registry()?.name).toBe('beta');
  });
});
