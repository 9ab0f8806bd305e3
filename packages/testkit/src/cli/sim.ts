#!/usr/bin/env node
/**
 * `pnpm sim`: runs the cluster simulator over many seeds in parallel worker
 * processes with a progress bar, or replays one seed with a trace.
 *
 *   pnpm sim --seeds 10000                 # seeds 1..10000, all fault kinds
 *   pnpm sim --seeds 500 --faults partition,crash --workers 2
 *   pnpm sim --seed 4711 --trace sim-trace-4711.txt
 *
 * A relative `--trace` path is taken from the directory the command was
 * typed in, not from packages/testkit where pnpm runs this script, so the
 * replay command a failing seed prints writes its trace where it is run.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { RUN_FLAGS, RUN_FLAGS_USAGE, type RunOptions, runOptionsFromFlags } from '../sim/replay.js';
import { type SimulationResult, runSimulation } from '../sim/simulation.js';

const USAGE = `usage: pnpm sim [--seeds N] [--from S] [--workers W] [--fail-fast] [run options]
       pnpm sim --seed S [run options] [--trace FILE] [--trace-messages]

  --seeds N         run seeds from..from+N-1 (default 100)
  --from S          first seed (default 1)
  --seed S          run one seed and print its result (replay)
  --workers W       parallel processes (default: CPU count)
  --trace FILE      write the readable event trace to FILE (with --seed),
                    relative to the directory the command was typed in
  --trace-messages  include every delivered message in the trace
  --fail-fast       stop at the first failing seed

run options (a failing seed prints them in its replay command):
${RUN_FLAGS_USAGE}`;

interface WorkerTask {
  seeds: number[];
  options: RunOptions;
}

type WorkerMessage = { type: 'result'; result: SimulationResult } | { type: 'done' };

async function runWorker(): Promise<void> {
  const task = await new Promise<WorkerTask>((resolve) => process.once('message', (m) => resolve(m as WorkerTask)));
  for (const seed of task.seeds) {
    const result = await runSimulation({ ...task.options, seed });
    // Keep only what the parent prints: the trace of a passing run is not needed.
    const slim: SimulationResult = { ...result, trace: result.ok ? [] : result.trace.slice(-200), history: [] };
    process.send!({ type: 'result', result: slim } satisfies WorkerMessage);
  }
  process.send!({ type: 'done' } satisfies WorkerMessage);
  process.disconnect();
}

function summarize(results: SimulationResult[], ms: number): string {
  const sum = (f: (r: SimulationResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const failed = results.filter((r) => !r.ok);
  return [
    `${results.length} seeds in ${(ms / 1000).toFixed(1)} s: ${results.length - failed.length} passed, ${failed.length} failed`,
    `  operations ${sum((r) => r.stats.operations)} (ok ${sum((r) => r.stats.ok)}, failed ${sum((r) => r.stats.failed)}, unknown ${sum((r) => r.stats.unknown)})`,
    `  elections ${sum((r) => r.stats.elections)}, snapshots installed ${sum((r) => r.stats.snapshotsInstalled)}, invariant checks ${sum((r) => r.stats.invariantChecks)}`,
    `  messages sent ${sum((r) => r.stats.messages.sent)}, lost ${sum((r) => r.stats.messages.lost)}, duplicated ${sum((r) => r.stats.messages.duplicated)}`,
  ].join('\n');
}

async function runMany(options: RunOptions, from: number, count: number, workers: number, failFast: boolean): Promise<number> {
  const seeds = Array.from({ length: count }, (_, i) => from + i);
  const bar = new cliProgress.SingleBar(
    { format: 'simulating [{bar}] {value}/{total} seeds | {failed} failed | {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(count, 0, { failed: 0 });
  const results: SimulationResult[] = [];
  const started = Date.now();
  const children = Array.from({ length: Math.min(workers, count) }, (_, w) => {
    const child = fork(process.argv[1]!, ['--worker'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.send({ options, seeds: seeds.filter((_, i) => i % workers === w) } satisfies WorkerTask);
    return child;
  });
  await new Promise<void>((resolve) => {
    let running = children.length;
    for (const child of children) {
      child.on('message', (m: WorkerMessage) => {
        if (m.type !== 'result') return;
        results.push(m.result);
        const failed = results.filter((r) => !r.ok).length;
        bar.increment(1, { failed });
        if (!m.result.ok) {
          bar.stop();
          console.error(`\nseed ${m.result.seed} FAILED (${m.result.violation!.kind}): ${m.result.violation!.message}`);
          console.error(`replay: ${m.result.replay}`);
          if (failFast) for (const c of children) c.kill();
          else bar.start(count, results.length, { failed });
        }
      });
      child.on('exit', () => {
        if (--running === 0) resolve();
      });
    }
  });
  bar.stop();
  console.log(summarize(results, Date.now() - started));
  return results.some((r) => !r.ok) || results.length < count ? 1 : 0;
}

async function runOne(seed: number, options: RunOptions, traceFile: string | undefined, traceMessages: boolean): Promise<number> {
  const result = await runSimulation({ ...options, seed, trace: traceMessages ? 'messages' : true });
  if (traceFile) {
    writeFileSync(traceFile, result.trace.join('\n') + '\n');
    console.log(`trace written to ${traceFile} (${result.trace.length} lines)`);
  }
  console.log(JSON.stringify(result.stats, null, 2));
  if (result.ok) {
    console.log(`seed ${seed} passed`);
    return 0;
  }
  console.error(`seed ${seed} FAILED (${result.violation!.kind}): ${result.violation!.message}`);
  if (!traceFile) console.error(result.trace.slice(-40).join('\n'));
  console.error(`replay: ${result.replay}`);
  return 1;
}

async function main(): Promise<number> {
  if (process.argv.includes('--worker')) {
    await runWorker();
    return 0;
  }
  const { values } = parseArgs({
    options: {
      ...RUN_FLAGS,
      seeds: { type: 'string' },
      from: { type: 'string' },
      workers: { type: 'string' },
      trace: { type: 'string' },
      'trace-messages': { type: 'boolean' },
      'fail-fast': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} is ${JSON.stringify(v)}; expected a non-negative integer`);
    return n;
  };
  const options = runOptionsFromFlags(values);
  // pnpm runs this in packages/testkit and passes the directory the command
  // was typed in as INIT_CWD; a relative path means that directory.
  const traceFile = values.trace === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), values.trace);
  if (values.seed !== undefined) return runOne(int('seed', values.seed, 1), options, traceFile, values['trace-messages'] ?? false);
  return runMany(options, int('from', values.from, 1), int('seeds', values.seeds, 100), int('workers', values.workers, availableParallelism()), values['fail-fast'] ?? false);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`sim: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  },
);
