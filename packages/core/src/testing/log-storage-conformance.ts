/**
 * A conformance suite every {@link LogStorage} implementation should pass: the
 * contract the core relies on, stated as executable cases. It has no test
 * framework dependency; run each case from your framework of choice:
 *
 * @example
 * ```ts
 * import { logStorageConformanceCases } from '@raftkit/core/testing';
 * for (const c of logStorageConformanceCases) it(c.name, () => c.run(openMyStore));
 * ```
 */
import { CompactedError, UnavailableError } from '../errors.js';
import type { LogStorage } from '../storage.js';
import { type ConfState, type Entry, EntryType, type HardState, type Snapshot, emptyConfState } from '../types.js';
import { entryEncodingSize } from '../util.js';

/** Write access to a store under test, in the vocabulary of the Ready contract. */
export interface ConformanceStore {
  /** The read side under test. */
  readonly storage: LogStorage;
  /** Durably appends entries, replacing stored entries from `entries[0].index` on. */
  append(entries: Entry[]): void | Promise<void>;
  /** Durably saves the hard state. */
  setHardState(hs: HardState): void | Promise<void>;
  /** Durably installs a snapshot received from a leader, replacing the log. */
  installSnapshot(snapshot: Snapshot): void | Promise<void>;
  /** Records a local snapshot at index `i` (which must be in the log). */
  createSnapshot(i: number, confState: ConfState): void | Promise<void>;
  /** Drops entries up to and including `i`. */
  compact(i: number): void | Promise<void>;
  /** Closes and reopens the store from durable state; absent for volatile stores. */
  reopen?(): Promise<ConformanceStore>;
  /** Releases resources. */
  close?(): void | Promise<void>;
}

/** One case of the suite. */
export interface LogStorageConformanceCase {
  /** What the case checks, as a sentence, for the test name. */
  name: string;
  /** Runs the case against a fresh, empty store made by `open`. Throws on a violation. */
  run(open: () => Promise<ConformanceStore> | ConformanceStore): Promise<void>;
}

class ConformanceError extends Error {}

function check(cond: boolean, message: string): void {
  if (!cond) throw new ConformanceError(message);
}

function entry(index: number, term: number, size = 8): Entry {
  const data = new Uint8Array(size);
  data.fill(index % 251);
  return { index, term, type: EntryType.Normal, data };
}

function range(lo: number, hi: number, term: (i: number) => number, size = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i < hi; i++) out.push(entry(i, term(i), size));
  return out;
}

function throwsKind(f: () => unknown, kind: typeof CompactedError | typeof UnavailableError, what: string): void {
  try {
    f();
  } catch (e) {
    check(e instanceof kind, `${what}: expected ${kind.name}, got ${String(e)}`);
    return;
  }
  throw new ConformanceError(`${what}: expected ${kind.name}, nothing was thrown`);
}

function sameEntries(got: Entry[], want: Entry[], what: string): void {
  check(got.length === want.length, `${what}: got ${got.length} entries, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    check(g.index === w.index && g.term === w.term && g.type === w.type, `${what}: entry ${i} is (${g.index},${g.term}), want (${w.index},${w.term})`);
    check(g.data.length === w.data.length && g.data.every((b, j) => b === w.data[j]), `${what}: entry ${g.index} data differs`);
  }
}

async function withStore(
  open: () => Promise<ConformanceStore> | ConformanceStore,
  body: (s: ConformanceStore) => Promise<ConformanceStore | void>,
): Promise<void> {
  let s = await open();
  try {
    s = (await body(s)) ?? s;
  } finally {
    await s.close?.();
  }
}

/** The cases; see {@link LogStorageConformanceCase}. */
export const logStorageConformanceCases: LogStorageConformanceCase[] = [
  {
    name: 'an empty store starts at index 0 with an empty hard state',
    run: (open) =>
      withStore(open, async (s) => {
        check(s.storage.lastIndex() === 0, `lastIndex ${s.storage.lastIndex()}, want 0`);
        check(s.storage.firstIndex() === 1, `firstIndex ${s.storage.firstIndex()}, want 1`);
        check(s.storage.term(0) === 0, 'term(0) must be 0');
        const { hardState } = s.storage.initialState();
        check(hardState.term === 0 && hardState.vote === 0 && hardState.commit === 0, 'hard state must be empty');
        throwsKind(() => s.storage.term(1), UnavailableError, 'term past the end');
      }),
  },
  {
    name: 'appended entries read back with their terms, within byte limits',
    run: (open) =>
      withStore(open, async (s) => {
        const ents = range(1, 11, (i) => (i < 5 ? 1 : 2), 100);
        await s.append(ents);
        check(s.storage.lastIndex() === 10, `lastIndex ${s.storage.lastIndex()}, want 10`);
        sameEntries(s.storage.entries(1, 11, Number.MAX_SAFE_INTEGER), ents, 'all entries');
        sameEntries(s.storage.entries(3, 6, Number.MAX_SAFE_INTEGER), ents.slice(2, 5), 'a middle range');
        check(s.storage.term(4) === 1 && s.storage.term(5) === 2, 'terms');
        const one = entryEncodingSize(ents[0]!);
        sameEntries(s.storage.entries(1, 11, one * 3), ents.slice(0, 3), 'three entries fit');
        sameEntries(s.storage.entries(1, 11, one * 3 + one - 1), ents.slice(0, 3), 'a partial fourth does not');
        sameEntries(s.storage.entries(1, 11, 0), ents.slice(0, 1), 'at least one entry');
        throwsKind(() => s.storage.entries(5, 12, Number.MAX_SAFE_INTEGER), UnavailableError, 'entries past the end');
      }),
  },
  {
    name: 'an append truncates a conflicting suffix',
    run: (open) =>
      withStore(open, async (s) => {
        await s.append(range(1, 11, () => 1));
        const replacement = range(6, 8, () => 3);
        await s.append(replacement);
        check(s.storage.lastIndex() === 7, `lastIndex ${s.storage.lastIndex()}, want 7`);
        check(s.storage.term(5) === 1 && s.storage.term(6) === 3 && s.storage.term(7) === 3, 'terms after truncation');
        throwsKind(() => s.storage.term(8), UnavailableError, 'truncated entry');
        sameEntries(s.storage.entries(6, 8, Number.MAX_SAFE_INTEGER), replacement, 'replacement');
      }),
  },
  {
    name: 'compaction drops a prefix but keeps the term of its last entry',
    run: (open) =>
      withStore(open, async (s) => {
        await s.append(range(1, 21, (i) => Math.ceil(i / 5)));
        await s.createSnapshot(10, { ...emptyConfState(), voters: [1, 2, 3] });
        await s.compact(10);
        check(s.storage.firstIndex() === 11, `firstIndex ${s.storage.firstIndex()}, want 11`);
        check(s.storage.lastIndex() === 20, `lastIndex ${s.storage.lastIndex()}, want 20`);
        check(s.storage.term(10) === 2, `term(10) ${s.storage.term(10)}, want 2`);
        throwsKind(() => s.storage.term(9), CompactedError, 'term before the boundary');
        throwsKind(() => s.storage.entries(10, 12, Number.MAX_SAFE_INTEGER), CompactedError, 'entries before the first index');
        const snap = s.storage.snapshot();
        check(snap.metadata.index === 10 && snap.metadata.term === 2, 'snapshot metadata');
        check(snap.metadata.confState.voters.join() === '1,2,3', 'snapshot membership');
      }),
  },
  {
    name: 'installing a snapshot replaces the log',
    run: (open) =>
      withStore(open, async (s) => {
        await s.append(range(1, 6, () => 1));
        const cs = { ...emptyConfState(), voters: [1, 2, 3], learners: [4] };
        await s.installSnapshot({ metadata: { index: 50, term: 4, confState: cs }, data: new Uint8Array(0) });
        check(s.storage.firstIndex() === 51, `firstIndex ${s.storage.firstIndex()}, want 51`);
        check(s.storage.lastIndex() === 50, `lastIndex ${s.storage.lastIndex()}, want 50`);
        check(s.storage.term(50) === 4, 'term at the snapshot index');
        check(s.storage.snapshot().metadata.index === 50, 'snapshot index');
        check(s.storage.initialState().confState.learners.join() === '4', 'membership comes from the snapshot');
        await s.append(range(51, 53, () => 4));
        check(s.storage.lastIndex() === 52, 'appends continue after the snapshot');
      }),
  },
  {
    name: 'hard state, entries and snapshot survive a reopen',
    run: (open) =>
      withStore(open, async (s) => {
        if (!s.reopen) return;
        await s.append(range(1, 31, (i) => (i < 15 ? 1 : 2), 64));
        await s.setHardState({ term: 2, vote: 3, commit: 25 });
        await s.createSnapshot(12, { ...emptyConfState(), voters: [1, 2, 3] });
        await s.compact(12);
        const r = await s.reopen();
        const { hardState } = r.storage.initialState();
        check(hardState.term === 2 && hardState.vote === 3 && hardState.commit === 25, 'hard state after reopen');
        check(r.storage.firstIndex() === 13 && r.storage.lastIndex() === 30, 'bounds after reopen');
        check(r.storage.term(12) === 1 && r.storage.term(30) === 2, 'terms after reopen');
        sameEntries(r.storage.entries(13, 31, Number.MAX_SAFE_INTEGER), range(13, 31, (i) => (i < 15 ? 1 : 2), 64), 'entries after reopen');
        return r;
      }),
  },
];
