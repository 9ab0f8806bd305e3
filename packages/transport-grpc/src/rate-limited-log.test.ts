import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from './rate-limited-log.js';

function capture() {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const keep = (message: string, fields?: Record<string, unknown>): void => {
    lines.push(fields === undefined ? { message } : { message, fields });
  };
  return { lines, logger: { debug: keep, info: keep, warn: keep, error: keep } };
}

describe('RateLimitedLog', () => {
  it('logs once per key per interval and reports how many it held back', () => {
    const { lines, logger } = capture();
    let now = 1000;
    const log = new RateLimitedLog(logger, 10_000, () => now);
    for (let i = 0; i < 5; i++) log.warn(2, 'bad frame', { i });
    log.warn(3, 'bad frame', { i: 'other peer' });
    now += 9_999;
    log.warn(2, 'bad frame', { i: 5 });
    now += 1;
    log.warn(2, 'bad frame', { i: 6 });
    expect(lines).toEqual([
      { message: 'bad frame', fields: { i: 0 } },
      { message: 'bad frame', fields: { i: 'other peer' } },
      { message: 'bad frame', fields: { i: 6, suppressed: 5 } },
    ]);
  });

  it('forgets a key', () => {
    const { lines, logger } = capture();
    const log = new RateLimitedLog(logger, 10_000, () => 0);
    log.warn(1, 'a', {});
    log.forget(1);
    log.warn(1, 'b', {});
    expect(lines.map((l) => l.message)).toEqual(['a', 'b']);
  });
});
