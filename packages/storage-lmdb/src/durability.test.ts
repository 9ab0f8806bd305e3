/**
 * The durability rules that crash tests with SIGKILL cannot see (the page
 * cache survives a killed process): nothing resolves as durable before
 * LMDB's flush, only a commit index may skip it, the safe mode is the
 * default, and a flush that never ends fails the store instead of hanging.
 *
 * The flush is made to wait for a promise the test controls by shadowing
 * `root.flushed` (lmdb-js's thenable for "everything committed so far is
 * on disk") on the store's environment.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { type Entry, EntryType, type RaftLogger, emptyConfState } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageFailedError } from './errors.js';
import { RaftStorage, type RaftStorageOptions } from './raft-storage.js';
import type { ApplyEntry } from './state-machine-store.js';
import { entryRange } from './test-support/entries.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
const open: RaftStorage[] = [];
const gates: FlushGate[] = [];
afterEach(async () => {
  for (const g of gates.splice(0)) g.remove();
  for (const s of open.splice(0)) await s.close();
  dirs.cleanup();
});

async function openStorage(options: Partial<RaftStorageOptions> = {}): Promise<RaftStorage> {
  const s = await RaftStorage.open({ dataDir: dirs.make(), ...options });
  open.push(s);
  return s;
}

interface FlushGate {
  /** Lets the flushes waited for so far (and later) complete. */
  release(): void;
  /** Times `root.flushed` was awaited while the gate was in place. */
  readonly waits: number;
  /** Puts lmdb-js's own `flushed` back. */
  remove(): void;
}

/** Makes every wait on the store's `root.flushed` also wait for {@link FlushGate.release}. */
function gateFlushes(storage: RaftStorage): FlushGate {
  // The environment is internal to the store; tests reach it by name.
  const root = storage['tables'].root;
  const real = root.flushed;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  let waits = 0;
  const gated: PromiseLike<boolean> = {
    then(onFulfilled, onRejected) {
      waits += 1;
      return Promise.all([real, opened]).then(() => true).then(onFulfilled, onRejected);
    },
  };
  Object.defineProperty(root, 'flushed', { configurable: true, get: () => gated });
  const gate: FlushGate = {
    release,
    get waits() {
      return waits;
    },
    remove: () => {
      release();
      delete (root as { flushed?: unknown }).flushed;
    },
  };
  gates.push(gate);
  return gate;
}

/** Tracks whether a promise settled. */
function track(p: Promise<unknown>): { readonly settled: boolean; readonly promise: Promise<unknown> } {
  let settled = false;
  const promise = p.finally(() => {
    settled = true;
  });
  promise.catch(() => {});
  return {
    get settled() {
      return settled;
    },
    promise,
  };
}

/** Lets the write thread commit and the event loop run a while. */
async function aWhile(): Promise<void> {
  await sleep(30);
  for (let i = 0; i < 5; i++) await nextTurn();
}

/** Resolves with `p`, failing if it takes longer than a moment (it should be immediate). */
async function promptly(p: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not resolve right after the flush`)), 2000)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(2);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const setKey: ApplyEntry = (e, state) => {
  if (e.data.length > 0) state.put(e.data, enc('v'));
};

/** Entries after the bootstrap snapshot at index 1, term 1. */
function commands(s: RaftStorage, n: number): Entry[] {
  const first = s.log.lastIndex() + 1;
  return Array.from({ length: n }, (_, i) => ({ index: first + i, term: 1, type: EntryType.Normal, data: enc(`k${first + i}`) }));
}

describe('persist waits for the flush', () => {
  it('stays pending after the commit until the flush is done, and resolves right after it', async () => {
    const s = await openStorage();
    const gate = gateFlushes(s);
    const write = track(s.log.persist({ entries: entryRange(1, 4, () => 1), hardState: { term: 1, vote: 1, commit: 0 } }));
    // Committed: the cached view has moved.
    await waitUntil('the commit', () => s.log.lastIndex() === 3);
    await aWhile();
    expect(write.settled, 'persist resolved before its flush').toBe(false);
    expect(gate.waits).toBe(1);
    gate.release();
    await promptly(write.promise, 'persist');
  });

  it('persistAndApply too, with its applications', async () => {
    const s = await openStorage({ bootstrap: { voters: [1] } });
    const gate = gateFlushes(s);
    const entries = commands(s, 3);
    const write = track(s.persistAndApply({ entries, hardState: { term: 1, vote: 1, commit: 4 }, committedEntries: entries }, setKey));
    await waitUntil('the commit', () => s.log.lastIndex() === 4);
    await aWhile();
    expect(write.settled, 'persistAndApply resolved before its flush').toBe(false);
    gate.release();
    await promptly(write.promise, 'persistAndApply');
    expect(s.stateMachine.appliedIndex()).toBe(4);
  });
});

describe('only a commit index may skip the flush', () => {
  it('resolves a commit-only hard state with sync: false without waiting for the flush', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 4, () => 1), hardState: { term: 1, vote: 1, commit: 0 } });
    gateFlushes(s);
    await promptly(s.log.persist({ hardState: { term: 1, vote: 1, commit: 2 }, sync: false }), 'a commit-only persist');
    expect(s.log.initialState().hardState.commit).toBe(2);
    // Without sync: false it waits like any other write.
    const synced = track(s.log.persist({ hardState: { term: 1, vote: 1, commit: 3 } }));
    await aWhile();
    expect(synced.settled).toBe(false);
  });

  it.each([
    ['entries', { entries: entryRange(4, 5, () => 1) }],
    ['a new term', { hardState: { term: 2, vote: 0, commit: 0 } }],
    ['a vote', { hardState: { term: 1, vote: 2, commit: 0 } }],
    ['entries with a commit', { entries: entryRange(4, 5, () => 1), hardState: { term: 1, vote: 0, commit: 1 } }],
  ])('keeps a request with %s durable despite sync: false', async (_what, request) => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 4, () => 1), hardState: { term: 1, vote: 0, commit: 0 } });
    const gate = gateFlushes(s);
    const write = track(s.log.persist({ ...request, sync: false }));
    await aWhile();
    expect(write.settled, 'sync: false skipped the flush of a write that must be durable').toBe(false);
    gate.release();
    await promptly(write.promise, 'persist');
  });

  it('keeps a snapshot install durable despite sync: false', async () => {
    const s = await openStorage();
    await s.log.persist({ entries: entryRange(1, 4, () => 1), hardState: { term: 1, vote: 0, commit: 0 } });
    const gate = gateFlushes(s);
    const metadata = { index: 10, term: 2, confState: { ...emptyConfState(), voters: [1, 2, 3] } };
    const write = track(s.log.persist({ snapshot: { metadata, data: enc('state') }, sync: false }));
    await aWhile();
    expect(write.settled).toBe(false);
    gate.release();
    await promptly(write.promise, 'persist');
    expect(s.log.firstIndex()).toBe(11);
  });
});

describe('apply waits for the flush when asked to sync', () => {
  it('stays pending until the flush with sync (the default), and not with sync: false', async () => {
    const s = await openStorage({ bootstrap: { voters: [1] } });
    const entries = commands(s, 4);
    await s.log.persist({ entries, hardState: { term: 1, vote: 1, commit: 5 } });
    const gate = gateFlushes(s);
    const applying = track(s.stateMachine.apply(entries.slice(0, 2), setKey));
    await waitUntil('the commit', () => s.stateMachine.get(enc('k3')) !== undefined);
    await aWhile();
    expect(applying.settled, 'apply resolved before its flush').toBe(false);
    gate.release();
    await promptly(applying.promise, 'apply');

    const again = gateFlushes(s);
    await promptly(s.stateMachine.apply(entries.slice(2), setKey, { sync: false }), 'apply with sync: false');
    expect(s.stateMachine.appliedIndex()).toBe(5);
    again.release();
  });
});

describe('a flush that never finishes', () => {
  it('fails the store after flushTimeoutMs instead of leaving persist pending forever', async () => {
    const s = await openStorage({ flushTimeoutMs: 100 });
    gateFlushes(s);
    const write = s.log.persist({ entries: entryRange(1, 2, () => 1) });
    await expect(write).rejects.toThrow(StorageFailedError);
    await expect(write).rejects.toThrow(/stopped after an earlier failure \(a flush to disk has not finished after 100 ms/);
    // The view moved with the commit, ahead of the disk: it is no longer served.
    expect(() => s.log.lastIndex()).toThrow(StorageFailedError);
    await expect(s.log.persist({ entries: entryRange(2, 3, () => 1) })).rejects.toThrow(StorageFailedError);
  });

  it('does not fire for a flush that finishes in time', async () => {
    const s = await openStorage({ flushTimeoutMs: 200 });
    const gate = gateFlushes(s);
    const write = track(s.log.persist({ entries: entryRange(1, 2, () => 1) }));
    await aWhile();
    gate.release();
    await promptly(write.promise, 'persist');
    await sleep(250);
    expect(s.log.lastIndex()).toBe(1);
  });
});

describe('the safe mode is the default', () => {
  function recordingLogger(): RaftLogger & { warnings: string[] } {
    const warnings: string[] = [];
    return { warnings, debug: () => {}, info: () => {}, warn: (message) => warnings.push(message), error: () => {} };
  }

  /** The flag the environment was opened with (lmdb-js keeps its options on the root). */
  const noSyncOf = (s: RaftStorage): boolean => (s['tables'].root as unknown as { noSync: boolean }).noSync;

  it('flushes by default, and only unsafeNoSync turns it off, with a warning', async () => {
    const safeLogger = recordingLogger();
    const safe = await openStorage({ logger: safeLogger });
    expect(noSyncOf(safe)).toBe(false);
    expect(safe.snapshots['options'].sync).toBe(true);
    expect(safeLogger.warnings).toEqual([]);

    const explicitLogger = recordingLogger();
    const explicit = await openStorage({ logger: explicitLogger, unsafeNoSync: false });
    expect(noSyncOf(explicit)).toBe(false);
    expect(explicitLogger.warnings).toEqual([]);

    const unsafeLogger = recordingLogger();
    const unsafe = await openStorage({ logger: unsafeLogger, unsafeNoSync: true });
    expect(noSyncOf(unsafe)).toBe(true);
    expect(unsafe.snapshots['options'].sync).toBe(false);
    expect(unsafeLogger.warnings).toEqual(['raft storage opened with unsafeNoSync: writes are not flushed to disk']);
  });
});
