/** Bounds of a {@link Backoff}, in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * Capped exponential backoff with jitter: the n-th delay is drawn from
 * `[d/2, d]` where `d = min(maxMs, initialMs * 2^n)`. Drawing from the upper
 * half keeps retries spread out (members restarted together do not reconnect
 * in lockstep) without ever collapsing to an immediate retry.
 */
export class Backoff {
  private attempt = 0;

  /** A backoff within `options`, its jitter drawn from `random` (values in [0, 1)). */
  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay to wait before the next attempt; each call doubles the ceiling up to `maxMs`. */
  next(): number {
    // Stop raising the exponent once it has reached the cap so it cannot overflow.
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempt);
    if (ceiling < this.options.maxMs) this.attempt++;
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }

  /** Starts over from `initialMs` (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
