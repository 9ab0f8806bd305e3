import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { runBench } from './runner.js';

describe('runBench', () => {
  it('sends exactly total requests, never more than clients at once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen = new Set<number>();
    const r = await runBench({
      clients: 4,
      total: 50,
      request: async (_w, i) => {
        seen.add(i);
        most = Math.max(most, ++inFlight);
        await new Promise((res) => setTimeout(res, 1));
        inFlight--;
      },
    });
    expect([r.succeeded, r.failed, r.latencies.length, seen.size, r.cut]).toEqual([50, 0, 50, 50, false]);
    expect(most).toBe(4);
    expect(Math.min(...r.latencies)).toBeGreaterThan(0);
  });

  it('counts failures by message and gives up after too many in a row', async () => {
    const r = await runBench({
      clients: 2,
      total: 1000,
      request: async () => {
        throw new CliError(ExitCode.Unreachable, 'unreachable (connection refused)');
      },
      maxConsecutiveFailures: 10,
    });
    expect(r.cut).toBe(true);
    expect(r.succeeded).toBe(0);
    expect(r.failed).toBeLessThan(20);
    expect([...r.errors.keys()]).toEqual(['unreachable (connection refused)']);
  });

  it('stops when asked', async () => {
    let n = 0;
    const r = await runBench({ clients: 1, total: 100, request: async () => void n++, stopped: () => n >= 10 });
    expect([r.succeeded, r.cut]).toEqual([10, true]);
  });
});
