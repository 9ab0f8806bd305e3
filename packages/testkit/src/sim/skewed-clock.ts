import type { Clock, TimerHandle } from '@raftkit/core';

/**
 * A view of a shared clock whose timers run `rate` times slower (rate > 1)
 * or faster (rate < 1): a member whose local clock drifts. Its ticks, and so
 * its election and heartbeat timeouts, stretch or shrink accordingly.
 */
export class SkewedClock implements Clock {
  constructor(
    private readonly base: Clock,
    readonly rate: number,
  ) {}

  now(): number {
    return this.base.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.base.setTimer(ms * this.rate, fn);
  }

  clearTimer(handle: TimerHandle): void {
    this.base.clearTimer(handle);
  }

  defer(fn: () => void): void {
    this.base.defer(fn);
  }
}
