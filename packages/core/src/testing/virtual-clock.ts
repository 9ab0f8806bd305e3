import type { Clock, TimerHandle } from '../node/interfaces.js';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic clock for simulations and tests: time moves only when the
 * caller runs events. Events at the same time run in the order they were
 * scheduled, so a run is reproducible.
 */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: Scheduled[] = [];

  /** The virtual time in milliseconds: 0 at creation, moved only by running events. */
  now(): number {
    return this.time;
  }

  /** Schedules `fn` at `ms` milliseconds from now (negative counts as 0). */
  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.push(this.time + Math.max(0, ms), fn);
  }

  /** Cancels a scheduled event; it is dropped when it surfaces. */
  clearTimer(handle: TimerHandle): void {
    if (handle && typeof handle === 'object') (handle as Scheduled).cancelled = true;
  }

  /** Schedules `fn` now, after the events already due now. */
  defer(fn: () => void): void {
    this.push(this.time, fn);
  }

  /** Schedules `fn` at absolute time `at` (not before now). */
  at(at: number, fn: () => void): TimerHandle {
    return this.push(Math.max(at, this.time), fn);
  }

  /** Number of events waiting (cancelled ones included until they surface). */
  get pending(): number {
    return this.heap.length;
  }

  /** Time of the next live event, if any. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Runs the next event. Returns false when there is none. */
  step(): boolean {
    this.dropCancelled();
    const e = this.popMin();
    if (!e) return false;
    this.time = e.at;
    e.fn();
    return true;
  }

  /**
   * Runs events up to and including time `until`, letting promise callbacks
   * settle between events (so async code driven by the clock runs in order).
   */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      const next = this.peek();
      if (next === undefined || next > until) break;
      this.step();
    }
    this.time = Math.max(this.time, until);
    await flushMicrotasks();
  }

  /** Runs for `ms` milliseconds of virtual time. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.time + ms);
  }

  /** Runs events until `predicate` holds or `maxMs` of virtual time pass; returns whether it held. */
  async runUntilTrue(predicate: () => boolean, maxMs: number): Promise<boolean> {
    const deadline = this.time + maxMs;
    for (;;) {
      await flushMicrotasks();
      if (predicate()) return true;
      const next = this.peek();
      if (next === undefined || next > deadline) {
        this.time = Math.max(this.time, deadline);
        return predicate();
      }
      this.step();
    }
  }

  private push(at: number, fn: () => void): Scheduled {
    const e: Scheduled = { at, seq: this.seq++, fn, cancelled: false };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
    return e;
  }

  private popMin(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        if (l < h.length && less(h[l]!, mv)) {
          m = l;
          mv = h[l]!;
        }
        if (r < h.length && less(h[r]!, mv)) {
          m = r;
          mv = h[r]!;
        }
        if (m === i) break;
        h[i] = mv;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.popMin();
  }
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets pending promise reactions run (several rounds, for chained awaits). */
export async function flushMicrotasks(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
