/** `raftctl bench put | get`: load with closed-loop clients, then throughput, percentiles and a histogram. */
import { randomBytes, randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { etcdserverpb } from '@raftkit/proto';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { withExamples } from '../cli/help.js';
import { onInterrupt } from '../cli/interrupt.js';
import { intIn } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { histogram, renderHistogram, sortedCopy, summarize } from '../bench/stats.js';
import { type BenchOutcome, runBench } from '../bench/runner.js';
import { progressBar } from '../format/progress.js';
import { formatMs } from '../format/units.js';

type BenchOp = 'put' | 'get';

interface BenchFlags {
  clients: number;
  conns: number;
  total: number;
  valueSize: number;
  keySpace: number;
  keyPrefix: string;
  serializable?: boolean;
}

/** The text report. */
export function benchReport(op: BenchOp, o: BenchFlags, r: BenchOutcome): string {
  const sorted = sortedCopy(r.latencies);
  const s = summarize(sorted);
  const secs = r.durationMs / 1000;
  const lines = [
    `bench ${op}: ${r.succeeded + r.failed} requests from ${o.clients} clients over ${o.conns} connections in ${secs.toFixed(2)} s${r.cut ? ' (stopped early)' : ''}`,
    `  throughput   ${Math.round(r.succeeded / Math.max(secs, 1e-9))} requests/s`,
    `  succeeded    ${r.succeeded}`,
    `  failed       ${r.failed}`,
    `  latency      p50 ${formatMs(s.p50)}   p90 ${formatMs(s.p90)}   p99 ${formatMs(s.p99)}   max ${formatMs(s.max)}   (min ${formatMs(s.min)}, mean ${formatMs(s.mean)})`,
  ];
  for (const [message, e] of r.errors) lines.push(`  error        ${e.count} × ${e.error.endpoint ? `${e.error.endpoint}: ` : ''}${message}`);
  if (sorted.length > 0) lines.push('', 'Latency histogram (upper bound, count):', renderHistogram(histogram(sorted), 40, formatMs));
  return lines.join('\n');
}

/** The JSON report. */
export function benchJson(op: BenchOp, o: BenchFlags, r: BenchOutcome) {
  const sorted = sortedCopy(r.latencies);
  const s = summarize(sorted);
  return {
    op,
    clients: o.clients,
    conns: o.conns,
    total: o.total,
    valueSize: o.valueSize,
    keySpace: o.keySpace,
    requests: r.succeeded + r.failed,
    succeeded: r.succeeded,
    failed: r.failed,
    stoppedEarly: r.cut,
    durationMs: r.durationMs,
    throughput: r.succeeded / Math.max(r.durationMs / 1000, 1e-9),
    latencyMs: { min: s.min, mean: s.mean, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max },
    histogram: histogram(sorted),
    errors: [...r.errors].map(([message, e]) => ({ message, count: e.count, endpoint: e.error.endpoint ?? null })),
  };
}

async function bench(s: Session, op: BenchOp, o: BenchFlags): Promise<ExitCode | void> {
  const conns = Math.min(o.conns, o.clients);
  const opts = { ...o, conns };
  const endpoints = s.globals.endpoints;
  // One connection per channel, spread over the endpoints; clients share them round-robin.
  const channels = Array.from({ length: conns }, (_, j) => {
    const endpoint = endpoints[j % endpoints.length]!;
    return { endpoint, client: s.conns.dedicatedKvClient(endpoint) };
  });
  const value = randomBytes(o.valueSize);
  const width = String(Math.max(0, o.keySpace - 1)).length;
  const keyOf = (n: number) => Buffer.from(`${o.keyPrefix}${String(n).padStart(width, '0')}`);
  const request = (worker: number): Promise<void> => {
    const ch = channels[worker % channels.length]!;
    const key = keyOf(randomInt(o.keySpace));
    if (op === 'put') {
      const req = etcdserverpb.PutRequest.fromPartial({ key, value });
      return s.conns.unary<etcdserverpb.KVClient, etcdserverpb.PutResponse>(ch.endpoint, ch.client, (c, md, op2, cb) => c.put(req, md, op2, cb)).then(() => undefined);
    }
    const req = etcdserverpb.RangeRequest.fromPartial({ key, serializable: o.serializable === true });
    return s.conns.unary<etcdserverpb.KVClient, etcdserverpb.RangeResponse>(ch.endpoint, ch.client, (c, md, op2, cb) => c.range(req, md, op2, cb)).then(() => undefined);
  };
  // One request first: an unreachable cluster fails at once instead of after `total` timeouts.
  await request(0);

  const interrupt = onInterrupt();
  const bar = progressBar(`bench ${op} [{bar}] {percentage}% | {value}/{total} requests | {rate}/s | ETA {eta_formatted}`, !s.globals.json);
  const started = Date.now();
  bar.start(o.total, { rate: '0' });
  let outcome: BenchOutcome;
  try {
    outcome = await runBench({
      clients: o.clients,
      total: o.total,
      request,
      onProgress: (done) => bar.update(done, { rate: String(Math.round(done / Math.max((Date.now() - started) / 1000, 1e-3))) }),
      stopped: () => interrupt.requested,
      maxConsecutiveFailures: Math.max(50, o.clients * 5),
    });
  } finally {
    bar.stop();
    interrupt.dispose();
  }
  if (s.globals.json) printJson(benchJson(op, opts, outcome));
  else printText(benchReport(op, opts, outcome));
  if (interrupt.requested) return ExitCode.Interrupted;
  const first = outcome.errors.values().next().value;
  if (first) {
    throw new CliError(first.error.exitCode, `${outcome.failed} of ${outcome.succeeded + outcome.failed} requests failed (first: ${first.error.message})`, {
      ...(first.error.endpoint ? { endpoint: first.error.endpoint } : {}),
      ...(first.error.hint ? { hint: first.error.hint } : {}),
    });
  }
}

const BENCH_HELP = `
Closed-loop clients: each sends a request, waits for the answer, then sends the next.
They share --conns gRPC connections spread over the --endpoints. Keys are drawn at
random from --key-space keys named <key-prefix><n>. A progress bar is drawn on stderr
(on a terminal); the report goes to stdout, or one JSON object with --json.
Run 'bench put' before 'bench get' with the same --key-space so the keys exist.`;

/** Registers `bench`. */
export function registerBench(program: Command): void {
  const benchCmd = program.command('bench').description('load the cluster and measure throughput and latency');
  withExamples(benchCmd, ['raftctl bench put --clients 32 --total 20000', 'raftctl bench get --serializable']);
  for (const op of ['put', 'get'] as const) {
    const cmd = benchCmd
      .command(op)
      .description(op === 'put' ? 'write random keys' : 'read random keys (linearizable unless --serializable)')
      .option('--clients <n>', 'concurrent clients', intIn('--clients', 1, 10_000), 16)
      .option('--conns <n>', 'gRPC connections the clients share', intIn('--conns', 1, 1000), 4)
      .option('--total <n>', 'requests to send', intIn('--total', 1, 100_000_000), 10_000)
      .option('--value-size <bytes>', 'size of each value written', intIn('--value-size', 0, 64 * 1024 * 1024), 256)
      .option('--key-space <n>', 'how many distinct keys', intIn('--key-space', 1, 1_000_000_000), 10_000)
      .option('--key-prefix <prefix>', 'prefix of the keys', 'bench/')
      .addHelpText('after', BENCH_HELP);
    if (op === 'get') cmd.option('--serializable', "read each endpoint's local state (no ReadIndex round)");
    cmd.action((o: BenchFlags, c: Command) => runSession(c, (s) => bench(s, op, o)));
    withExamples(cmd, [`raftctl bench ${op}`, `raftctl bench ${op} --clients 64 --conns 8 --total 50000${op === 'put' ? ' --value-size 1024' : ''}`, `raftctl bench ${op} --total 1000 --json`]);
  }
}
