import { describe, expect, it } from 'vitest';
import { histogram, percentile, renderHistogram, sortedCopy, summarize } from './stats.js';

describe('percentile', () => {
  const sorted = sortedCopy(Array.from({ length: 100 }, (_, i) => 100 - i));
  it('uses the nearest rank', () => {
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 90)).toBe(90);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });
  it('is 0 without samples', () => expect(percentile(new Float64Array(), 50)).toBe(0));
});

describe('summarize', () => {
  it('gives min, mean, percentiles and max', () => {
    expect(summarize(sortedCopy([4, 1, 3, 2]))).toEqual({ count: 4, min: 1, mean: 2.5, p50: 2, p90: 4, p99: 4, max: 4 });
  });
});

describe('histogram', () => {
  it('counts every sample once, in geometrically growing buckets', () => {
    const samples = sortedCopy([1, 1.1, 1.2, 2, 3, 5, 8, 13, 21, 100]);
    const h = histogram(samples, 5);
    expect(h).toHaveLength(5);
    expect(h.reduce((a, b) => a + b.count, 0)).toBe(samples.length);
    expect(h[h.length - 1]!.upToMs).toBe(100);
    for (let i = 1; i < h.length; i++) expect(h[i]!.upToMs / h[i - 1]!.upToMs).toBeCloseTo(100 ** (1 / 5), 6);
    expect(h[0]!.count).toBe(4); // 1, 1.1, 1.2 and 2 are at most 100^(1/5) ≈ 2.5
  });
  it('puts equal samples in one bucket', () => expect(histogram(sortedCopy([2, 2, 2]))).toEqual([{ upToMs: 2, count: 3 }]));
  it('renders bars proportional to the counts', () => {
    const text = renderHistogram([{ upToMs: 1, count: 10 }, { upToMs: 2, count: 5 }, { upToMs: 4, count: 0 }], 10);
    expect(text.split('\n')).toEqual(['  1.00 ms  [10]  ##########', '  2.00 ms  [ 5]  #####', '  4.00 ms  [ 0]']);
  });
});
