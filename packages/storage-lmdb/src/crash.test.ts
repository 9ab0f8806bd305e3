import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt, seededRandom } from '@raftkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaftStorage } from './raft-storage.js';
import { type BundledFixture, bundleFixture } from './test-support/bundle-fixture.js';
import { CrashChild } from './test-support/crash-harness.js';
import { CrashModel, type CrashOp, crashEntrySize } from './test-support/crash-model.js';
import { payload } from './test-support/entries.js';
import { TempDirs } from './test-support/temp-dirs.js';

/**
 * Crash tests: a child process writes and acknowledges in a loop and is
 * killed with SIGKILL at a random moment, many times over the same data
 * directory; after every kill the store is reopened and checked.
 *
 * SIGKILL keeps what the kernel already has (the page cache survives), so
 * these tests prove the order of operations (nothing is acknowledged before
 * its transaction committed, a torn write is never visible, recovery
 * finishes interrupted work) rather than the fsync itself; the fsync per
 * durable commit is measured in bench/storage, and durability.test.ts
 * checks that nothing resolves before it. To catch an acknowledgement sent
 * before its commit, a fixture also kills itself right after acknowledging.
 */

const dirs = new TempDirs();
let appendBundle: BundledFixture;
let raftBundle: BundledFixture;

beforeAll(async () => {
  [appendBundle, raftBundle] = await Promise.all([
    bundleFixture(new URL('./test-support/crash-append-child.ts', import.meta.url)),
    bundleFixture(new URL('./test-support/crash-raft-child.ts', import.meta.url)),
  ]);
});

afterAll(() => {
  appendBundle?.remove();
  raftBundle?.remove();
  dirs.cleanup();
});

/**
 * Runs `rounds` child processes one after the other on `dataDir`, killing
 * each at a random moment after it is ready (or letting it kill itself,
 * for rounds `args` tell it to), and checks the store after each kill. The
 * next child is started ahead (it loads while the current one runs) to
 * keep rounds short.
 */
async function crashRounds(options: {
  bundle: BundledFixture;
  dataDir: string;
  rounds: number;
  seed: number;
  /** A round's fixture arguments after the data directory and seed, and whether they tell it to kill itself. */
  args?: (round: number) => { args: string[]; killsItself: boolean };
  check: (lines: string[], round: number) => Promise<void>;
}): Promise<void> {
  const random = seededRandom(options.seed);
  let next = new CrashChild(options.bundle.path);
  let current: CrashChild | undefined;
  try {
    for (let round = 0; round < options.rounds; round++) {
      current = next;
      const { args, killsItself } = options.args?.(round) ?? { args: [], killsItself: false };
      current.start([options.dataDir, String(options.seed * 1000 + round), ...args]);
      next = new CrashChild(options.bundle.path);
      await current.waitFor((line) => line === 'ready', 30_000);
      // Drawn in every round, so that a seed replays the same delays.
      const delay = randomInt(random, 5, 300);
      if (killsItself) await current.waitForExit(30_000);
      else await sleep(delay);
      await current.kill();
      await options.check(current.lines, round);
    }
  } finally {
    current?.dispose();
    next.dispose();
  }
}

/** A ceiling for a loaded CI machine; a run takes about 10 s per test. */
const CRASH_TEST_TIMEOUT_MS = 120_000;

const SEED = Number(process.env.RAFTKIT_CRASH_SEED ?? Date.now() % 100_000);

describe(`crash safety (seed ${SEED}; rerun with RAFTKIT_CRASH_SEED=${SEED})`, () => {
  it('keeps every acknowledged append and compaction, with an intact, contiguous log, across 24 SIGKILLs', async () => {
    const dataDir = dirs.make();
    let model = new CrashModel();
    let kills = 0;
    let acknowledged = 0;
    await crashRounds({
      bundle: appendBundle,
      dataDir,
      rounds: 24,
      seed: SEED,
      check: async (lines, round) => {
        let inFlight: CrashOp | undefined;
        for (const line of lines) {
          if (line.startsWith('w ')) {
            expect(inFlight, 'an operation started before the previous one was acknowledged').toBeUndefined();
            inFlight = JSON.parse(line.slice(2)) as CrashOp;
          } else if (line === 'a') {
            model.apply(inFlight!);
            inFlight = undefined;
            acknowledged += 1;
          }
        }
        const storage = await RaftStorage.open({ dataDir });
        try {
          const found = readLog(storage);
          // The operation cut by the kill either happened entirely or not at all.
          const after = inFlight && model.clone().apply(inFlight);
          if (after && differences(after, found).length === 0) model = after;
          expect(differences(model, found), `round ${round}: the reopened store differs from what was acknowledged`).toEqual([]);
          expect(storage.log.checkIntegrity().lastIndex).toBe(model.last);
        } finally {
          await storage.close();
        }
        kills += 1;
      },
    });
    expect(kills).toBe(24);
    expect(acknowledged).toBeGreaterThan(24);
  }, CRASH_TEST_TIMEOUT_MS);

  it('never loses an acknowledged write of a single-member cluster, nor applies one twice, across 16 SIGKILLs', async () => {
    const dataDir = dirs.make();
    const selfKills = seededRandom(SEED + 2);
    const acked = new Map<number, number>();
    await crashRounds({
      bundle: raftBundle,
      dataDir,
      rounds: 16,
      seed: SEED + 1,
      // Half the rounds handle every Ready in one transaction, and the
      // fixture kills itself right after an acknowledgement: one sent
      // before its commit finished is lost there, and only there (a
      // separate apply waits for its own, later commit). The others mix
      // both ways, killed after an acknowledgement or at a random moment.
      args: (round) => {
        const combined = round % 2 === 0;
        const killsItself = combined || round % 4 === 1;
        return { args: [combined ? 'combined' : 'mixed', killsItself ? String(randomInt(selfKills, 1, 12)) : '0'], killsItself };
      },
      check: async (lines, round) => {
        for (const line of lines) {
          const m = /^ack (\d+) (\d+)$/.exec(line);
          if (m) acked.set(Number(m[1]), Number(m[2]));
        }
        const storage = await RaftStorage.open({ dataDir });
        try {
          const { log, stateMachine } = storage;
          const where = `round ${round}`;
          log.checkIntegrity();
          expect(stateMachine.needsRestore(), where).toBe(false);
          const applied = stateMachine.appliedIndex();
          const { commit } = log.initialState().hardState;
          expect(applied, where).toBeLessThanOrEqual(commit);
          expect(commit, where).toBeLessThanOrEqual(log.lastIndex());

          const writes = new Map<string, string>();
          for (const r of stateMachine.range({ start: Buffer.from('w/'), end: Buffer.from('w0') })) {
            writes.set(Buffer.from(r.key).toString(), Buffer.from(r.value).toString());
          }
          expect(Buffer.from(stateMachine.get(Buffer.from('count')) ?? []).toString(), `${where}: writes applied`).toBe(String(writes.size));
          const missing: string[] = [];
          for (const [seq, index] of acked) {
            const key = `w/${String(seq).padStart(9, '0')}`;
            if (writes.get(key) !== `v${seq}`) missing.push(`${key} (index ${index}) is not in the state machine`);
            if (index > applied) missing.push(`${key} (index ${index}) is beyond the applied index ${applied}`);
            if (index >= log.firstIndex()) {
              const [entry] = log.entries(index, index + 1, 0);
              if (Buffer.from(entry!.data).toString() !== key) missing.push(`${key} is not at log index ${index}`);
            }
          }
          expect(missing, `${where}: acknowledged writes lost`).toEqual([]);
        } finally {
          await storage.close();
        }
      },
    });
    expect(acked.size).toBeGreaterThan(16);
  }, CRASH_TEST_TIMEOUT_MS);
});

interface FoundLog {
  first: number;
  last: number;
  hardState: { term: number; vote: number; commit: number };
  terms: Map<number, number>;
  damaged: string[];
}

/** Everything the append test can compare, with each entry's payload checked against its index and term. */
function readLog(storage: RaftStorage): FoundLog {
  const { log } = storage;
  const found: FoundLog = { first: log.firstIndex(), last: log.lastIndex(), hardState: log.initialState().hardState, terms: new Map(), damaged: [] };
  for (let lo = found.first; lo <= found.last; ) {
    const batch = log.entries(lo, found.last + 1, 1 << 20);
    for (const e of batch) {
      found.terms.set(e.index, e.term);
      if (!Buffer.from(e.data).equals(payload(e.index, e.term, crashEntrySize(e.index, e.term)))) found.damaged.push(`entry ${e.index} has a wrong payload`);
    }
    lo += batch.length;
  }
  return found;
}

function differences(model: CrashModel, found: FoundLog): string[] {
  const out = [...found.damaged];
  if (model.first !== found.first) out.push(`first index ${found.first}, expected ${model.first}`);
  if (model.last !== found.last) out.push(`last index ${found.last}, expected ${model.last}`);
  const hs = found.hardState;
  const want = model.hardState;
  if (hs.term !== want.term || hs.vote !== want.vote || hs.commit !== want.commit) out.push(`hard state ${JSON.stringify(hs)}, expected ${JSON.stringify(want)}`);
  for (let i = model.first; i <= model.last; i++) {
    if (found.terms.get(i) !== model.terms.get(i)) out.push(`entry ${i} has term ${found.terms.get(i)}, expected ${model.terms.get(i)}`);
    if (out.length > 10) break;
  }
  return out;
}
