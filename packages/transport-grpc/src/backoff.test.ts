import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles its ceiling up to the cap and draws from the upper half of it', () => {
    const low = new Backoff({ initialMs: 50, maxMs: 2000 }, () => 0);
    const high = new Backoff({ initialMs: 50, maxMs: 2000 }, () => 0.999999);
    const lows = Array.from({ length: 9 }, () => low.next());
    const highs = Array.from({ length: 9 }, () => Math.round(high.next()));
    expect(lows).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(highs).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000 }, () => 0);
    for (let i = 0; i < 5; i++) b.next();
    b.reset();
    expect(b.next()).toBe(5);
  });

  it('never exceeds the cap however long it keeps failing', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 300 }, Math.random);
    let max = 0;
    for (let i = 0; i < 5000; i++) max = Math.max(max, b.next());
    expect(max).toBeLessThanOrEqual(300);
    expect(Number.isFinite(max)).toBe(true);
  });
});
