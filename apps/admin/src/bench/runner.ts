/**
 * A closed-loop load generator: `clients` workers each send one request,
 * wait for its answer, record its latency and send the next, until `total`
 * requests have been sent (or a stop is requested).
 */
import { performance } from 'node:perf_hooks';
import { type CliError, asCliError } from '../cli/errors.js';

/** What to run. */
export interface BenchPlan {
  clients: number;
  total: number;
  /** Sends request number `i` for worker `worker`; resolves when it is answered. */
  request(worker: number, i: number): Promise<void>;
  /** Called after each answer or failure with the number done so far. */
  onProgress?(done: number): void;
  /** Stops sending when it returns true (Ctrl-C). */
  stopped?(): boolean;
  /** Give up after this many failures in a row, with no success in between (an unreachable cluster). */
  maxConsecutiveFailures?: number;
}

/** What happened. */
export interface BenchOutcome {
  /** Latency of each successful request, in milliseconds, in completion order. */
  latencies: Float64Array;
  succeeded: number;
  failed: number;
  /** Failures by message. */
  errors: Map<string, { count: number; error: CliError }>;
  durationMs: number;
  /** Ended before `total` (stopped, or too many failures in a row). */
  cut: boolean;
}

/** Runs the plan and measures it. */
export async function runBench(plan: BenchPlan): Promise<BenchOutcome> {
  const latencies = new Float64Array(plan.total);
  const errors = new Map<string, { count: number; error: CliError }>();
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let failStreak = 0;
  let cut = false;
  const limit = plan.maxConsecutiveFailures ?? Infinity;
  const worker = async (w: number): Promise<void> => {
    while (next < plan.total) {
      if (plan.stopped?.() || failStreak >= limit) {
        cut = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      try {
        await plan.request(w, i);
        latencies[succeeded++] = performance.now() - t0;
        failStreak = 0;
      } catch (e) {
        const err = asCliError(e);
        const seen = errors.get(err.message);
        if (seen) seen.count++;
        else errors.set(err.message, { count: 1, error: err });
        failed++;
        failStreak++;
      }
      plan.onProgress?.(succeeded + failed);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: plan.clients }, (_, w) => worker(w)));
  return { latencies: latencies.subarray(0, succeeded), succeeded, failed, errors, durationMs: performance.now() - started, cut };
}
