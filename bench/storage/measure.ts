/** Timing helpers for the storage benchmark. */

/** What a timed loop achieved. */
export interface Rate {
  /** Calls completed. */
  ops: number;
  seconds: number;
  /** Calls per second. */
  perSecond: number;
  /** CPU time of the whole process (every thread) per call, in milliseconds. */
  cpuMsPerOp: number;
}

/** Calls `op` back to back for about `seconds` (at least once) and reports the rate. */
export async function runFor(seconds: number, op: () => unknown): Promise<Rate> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = start + seconds * 1000;
  let ops = 0;
  do {
    await op();
    ops += 1;
  } while (performance.now() < deadline);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { ops, seconds: elapsed, perSecond: ops / elapsed, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / ops };
}

/** How long `op` takes once, in milliseconds. */
export async function timeOnce(op: () => unknown): Promise<number> {
  const start = performance.now();
  await op();
  return performance.now() - start;
}

/** A number with thousands separators and at most `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
