import type { RaftLogger } from '@raftkit/core';

/**
 * Logs a warning at most once per key per interval, counting what it held
 * back and reporting that count with the next warning it lets through. A
 * misbehaving peer that sends garbage thousands of times a second must not
 * flood the log, yet the operator must learn that it happened and how often.
 */
export class RateLimitedLog {
  private readonly last = new Map<number, { at: number; suppressed: number }>();

  /** Warns through `logger`, at most once per key per `intervalMs` of `now()` (milliseconds). */
  constructor(
    private readonly logger: RaftLogger,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` with `fields` under `key` unless `key` logged within the interval. */
  warn(key: number, message: string, fields: Record<string, unknown>): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    this.logger.warn(message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }

  /** Forgets `key` (a removed peer), so the map stays as small as the membership. */
  forget(key: number): void {
    this.last.delete(key);
  }
}
