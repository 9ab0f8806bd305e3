/** Latency statistics of a benchmark: percentiles and a text histogram. */

/** Percentiles and extremes of a set of latencies, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The value at percentile `p` (0-100) of ascending `sorted`, by nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Sorts a copy of `latencies` ascending. */
export function sortedCopy(latencies: ArrayLike<number>): Float64Array {
  return Float64Array.from(latencies).sort();
}

/** Summarizes ascending `sorted` latencies. */
export function summarize(sorted: Float64Array): LatencySummary {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0]! : 0,
    mean: sorted.length ? sum / sorted.length : 0,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : 0,
  };
}

/** One histogram bucket: latencies above the previous bound and at most `upToMs`. */
export interface Bucket {
  upToMs: number;
  count: number;
}

/**
 * Counts ascending `sorted` latencies into `buckets` buckets whose bounds
 * grow geometrically from the fastest to the slowest, because latencies
 * spread over orders of magnitude with most of them near the low end.
 */
export function histogram(sorted: Float64Array, buckets = 12): Bucket[] {
  if (sorted.length === 0) return [];
  const lo = Math.max(sorted[0]!, 1e-3);
  const hi = sorted[sorted.length - 1]!;
  if (hi <= lo) return [{ upToMs: hi, count: sorted.length }];
  const ratio = hi / lo;
  const bounds = Array.from({ length: buckets }, (_, i) => (i === buckets - 1 ? hi : lo * ratio ** ((i + 1) / buckets)));
  const out = bounds.map((upToMs) => ({ upToMs, count: 0 }));
  let b = 0;
  for (const v of sorted) {
    while (b < out.length - 1 && v > out[b]!.upToMs) b++;
    out[b]!.count++;
  }
  return out;
}

/** The histogram as text: one line per bucket with its bound, its count and a bar. */
export function renderHistogram(h: readonly Bucket[], width = 40, formatMs: (ms: number) => string = (ms) => `${ms.toFixed(2)} ms`): string {
  const most = Math.max(1, ...h.map((b) => b.count));
  const labels = h.map((b) => formatMs(b.upToMs));
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const countWidth = Math.max(1, ...h.map((b) => String(b.count).length));
  return h
    .map((b, i) => {
      const bar = '#'.repeat(b.count === 0 ? 0 : Math.max(1, Math.round((b.count / most) * width)));
      return `  ${labels[i]!.padStart(labelWidth)}  [${String(b.count).padStart(countWidth)}]  ${bar}`.trimEnd();
    })
    .join('\n');
}
