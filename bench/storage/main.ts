/**
 * Storage benchmark: the durable Raft log on LMDB (@raftkit/storage-lmdb)
 * against the disk's own fsync rate, measured in the same run.
 *
 * - durable appends/s and MB/s for batches of 1, 16 and 256 entries;
 * - a Ready cycle (persist 16 entries, apply them) in two transactions or one;
 * - the ways to wait for a durable LMDB commit, their rates and CPU per commit;
 * - sequential reads/s and random term lookups/s;
 * - appends right after truncating a long suffix and after compacting a long prefix.
 *
 *   pnpm --filter @raftkit/bench storage [--seconds 2] [--rounds 5] [--dir /path/on/the/disk] [--entries 200000]
 *
 * Every rate is the median of `--rounds` runs, and the runs of all rates
 * are interleaved (round 1 of each, then round 2 of each...), so a noisy
 * neighbour on a shared disk moves all of them alike instead of skewing one
 * row against the others.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMIT_STRATEGIES, type CommitStrategy, measureCommitStrategy } from './commit-strategies.js';
import { measureFsyncRate } from './fsync-rate.js';
import {
  type ReshapeResult,
  measureAfterCompaction,
  measureAfterTruncation,
  measureAppends,
  measureReadyCycle,
  measureReads,
} from './log-workloads.js';
import { fmt } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    dir: { type: 'string', default: tmpdir() },
    entries: { type: 'string', default: '200000' },
    'entry-bytes': { type: 'string', default: '256' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const logEntries = Number(values.entries);
const entryBytes = Number(values['entry-bytes']);
const parent = mkdtempSync(join(values.dir, 'raftkit-bench-storage-'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const mb = (entriesPerSecond: number): string => fmt((entriesPerSecond * entryBytes) / 1e6, 2);

/** The rate measurements, by label; all of them run in every round. */
const rates: Record<string, () => Promise<{ perSecond: number; cpuMsPerOp: number }>> = {
  fsync: async () => measureFsyncRate(parent, seconds),
  'append 1': async () => (await measureAppends(parent, 1, entryBytes, seconds)).rate,
  'append 16': async () => (await measureAppends(parent, 16, entryBytes, seconds)).rate,
  'append 256': async () => (await measureAppends(parent, 256, entryBytes, seconds)).rate,
  'ready two': async () => measureReadyCycle(parent, 16, entryBytes, seconds, false),
  'ready one': async () => measureReadyCycle(parent, 16, entryBytes, seconds, true),
};
for (const s of COMMIT_STRATEGIES) {
  for (const b of [1, 16]) rates[`${s}|${b}`] = async () => measureCommitStrategy(parent, s, b, entryBytes, seconds);
}

try {
  console.log(`# Storage benchmark: ${entryBytes} B entries, ${seconds} s per run, median of ${rounds} interleaved runs, in ${parent}\n`);

  const samples = new Map<string, number[]>(Object.keys(rates).map((k) => [k, []]));
  const cpuSamples = new Map<string, number[]>(Object.keys(rates).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [label, run] of Object.entries(rates)) {
      const result = await run();
      samples.get(label)!.push(result.perSecond);
      cpuSamples.get(label)!.push(result.cpuMsPerOp);
    }
  }
  const rate = (label: string): number => median(samples.get(label)!);
  const cpuMs = (label: string): string => fmt(median(cpuSamples.get(label)!), 3);
  const spread = (label: string): string => {
    const xs = samples.get(label)!;
    return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  };

  const fsync = rate('fsync');
  console.log(`Raw disk: ${fmt(fsync)} fdatasync/s (4 KiB writes; runs ranged ${spread('fsync')})\n`);
  console.log('| Durable appends (`log.persist`) | persists/s | entries/s | MB/s | vs raw fsync | CPU ms/persist |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const b of [1, 16, 256]) {
    const p = rate(`append ${b}`);
    console.log(`| batch of ${b} | ${fmt(p)} | ${fmt(p * b)} | ${mb(p * b)} | ${fmt(p / fsync, 2)}× | ${cpuMs(`append ${b}`)} |`);
  }
  for (const [label, name] of [
    ['ready two', 'Ready of 16: `persist`, then `stateMachine.apply`'],
    ['ready one', 'Ready of 16: `persistAndApply` (one transaction)'],
  ] as const) {
    const p = rate(label);
    console.log(`| ${name} | ${fmt(p)} | ${fmt(p * 16)} | ${mb(p * 16)} | ${fmt(p / fsync, 2)}× | ${cpuMs(label)} |`);
  }
  console.log();

  console.log('| Waiting for a durable LMDB commit | commits/s, batch 1 | CPU ms/commit, batch 1 | commits/s, batch 16 | CPU ms/commit, batch 16 |');
  console.log('|---|---:|---:|---:|---:|');
  for (const s of COMMIT_STRATEGIES as CommitStrategy[]) {
    console.log(`| ${s} | ${fmt(rate(`${s}|1`))} | ${cpuMs(`${s}|1`)} | ${fmt(rate(`${s}|16`))} | ${cpuMs(`${s}|16`)} |`);
  }
  console.log();

  const reads = await measureReads(parent, logEntries, entryBytes, seconds);
  console.log(`Sequential reads (\`entries()\` in 1 MiB calls over ${fmt(reads.entries)} entries): ${fmt(reads.scanPerSecond)} entries/s, ${mb(reads.scanPerSecond)} MB/s`);
  console.log(`Random \`term(i)\` lookups: ${fmt(reads.termPerSecond)}/s\n`);

  const removed = Math.floor(logEntries * 0.75);
  const reshapeRounds = Math.max(1, Math.ceil(rounds / 2));
  const truncations: ReshapeResult[] = [];
  const compactions: ReshapeResult[] = [];
  for (let r = 0; r < reshapeRounds; r++) {
    truncations.push(await measureAfterTruncation(parent, logEntries, removed, 16, entryBytes, seconds));
    compactions.push(await measureAfterCompaction(parent, logEntries, removed, 16, entryBytes, seconds));
  }
  console.log(`| Log of ${fmt(logEntries)} entries, ${fmt(removed)} removed (median of ${reshapeRounds}) | the change takes | appends/s before (batch 16) | appends/s right after | LMDB file before → after |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, rs] of [
    ['truncate a suffix (one persist)', truncations],
    ['compact a prefix', compactions],
  ] as const) {
    const m = (f: (r: ReshapeResult) => number): number => median(rs.map(f));
    console.log(
      `| ${name} | ${fmt(m((r) => r.changeMs))} ms | ${fmt(m((r) => r.before.perSecond))} | ${fmt(m((r) => r.after.perSecond))} | ${fmt(m((r) => r.fileBytesBefore) / 1e6, 1)} → ${fmt(m((r) => r.fileBytesAfter) / 1e6, 1)} MB |`,
    );
  }
} finally {
  rmSync(parent, { recursive: true, force: true });
}
