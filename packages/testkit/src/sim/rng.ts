import { type RandomSource, seededRandom } from '@raftkit/core';

/**
 * Seeded randomness for the simulator: every choice of a run comes from one
 * of these, derived from the run's seed, so the same seed replays the same
 * run event for event.
 */
export class Rng {
  private readonly next: RandomSource;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** A number in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `xs`, each equally likely. Throws when `xs` is empty. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('cannot pick from an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /**
   * A Pareto-distributed number: at least `scale`, with a tail that falls
   * off as x^-shape (heavy: rare values far above the typical one).
   */
  pareto(scale: number, shape: number): number {
    return scale / Math.pow(1 - this.next(), 1 / shape);
  }

  /** A child generator for an independent stream of choices. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
}
