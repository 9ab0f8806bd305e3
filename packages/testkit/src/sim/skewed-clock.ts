import type { Clock, TimerHandle } from '@raftkit/core';

/**
 * A view of a shared clock whose timers run `rate` times slower (rate > 1)
 * or faster (rate < 1): a member whose local clock drifts. Its ticks, and so
 * its election and heartbeat timeouts, stretch or shrink accordingly.
 */
export class SkewedClock implements Clock {
  constructor(
    private readonly base: Clock,
    /** How much longer than asked each timer waits: 1.1 makes a 100 ms timer fire after 110 ms of the shared clock. */
    readonly rate: number,
  ) {}

  /** The shared clock's time, unskewed: only durations drift, so traces of all members stay on one time line. */
  now(): number {
    return this.base.now();
  }

  /** Runs `fn` after `ms` of this member's time, that is `ms * rate` of the shared clock. */
  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.base.setTimer(ms * this.rate, fn);
  }

  /** Cancels a timer set with {@link setTimer}, on the shared clock. */
  clearTimer(handle: TimerHandle): void {
    this.base.clearTimer(handle);
  }

  /** Schedules `fn` on the shared clock without delay: there is no duration to skew. */
  defer(fn: () => void): void {
    this.base.defer(fn);
  }
}
