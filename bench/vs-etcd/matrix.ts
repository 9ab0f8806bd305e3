/**
 * The comparison itself: the same scenarios against a fresh raftkit cluster
 * and a fresh etcd cluster (and, when asked, the null server that shows the
 * harness's ceiling), each prefilled once as run-matrix.mjs does, then
 * repeated `reps` times (medians are taken later).
 *
 * Two orders:
 * - interleaved (default): all systems stay up and every scenario runs
 *   against one, then right away against the next, the first system
 *   rotating between repetitions. A busy neighbour on this shared box then
 *   hits both sides of a ratio alike. The idle systems' CPU is accounted
 *   (`bystanderCpuPct`) and is a few % of a core.
 * - sequential: raftkit alone, all repetitions, stopped; then etcd alone.
 *   Nothing else runs next to the measured cluster, but the two halves are
 *   minutes apart.
 * Within one cluster the repetitions go scenario by scenario (rep 1 of a..f,
 * then rep 2...), as run-matrix.mjs does.
 */
import type { BenchCluster, System } from './cluster.js';
import { type Guard, type RunRecord, measureRun, prefill } from './kvload.js';
import { PREFILL_ARGS, type Scenario } from './scenarios.js';

/** How to run the comparison. */
export interface MatrixOptions {
  benchDir: string;
  /** The systems compared, in the order of the first repetition. */
  systems: readonly System[];
  scenarios: readonly Scenario[];
  reps: number;
  order: 'interleaved' | 'sequential';
  guard: Guard;
  /** Starts a fresh cluster of either system. */
  start: (system: System) => Promise<BenchCluster>;
  /** Called with each run as soon as it is done (to write it out). */
  onRun: (run: RunRecord) => void;
  log: (line: string) => void;
}

/** Runs the comparison and returns every run. */
export async function runMatrix(o: MatrixOptions): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const record = (r: RunRecord): void => {
    runs.push(r);
    o.onRun(r);
  };
  const ready = async (system: System): Promise<BenchCluster> => {
    const c = await o.start(system);
    o.log(`${system}: prefilling 10,000 keys (untimed)`);
    await prefill(o.benchDir, c, PREFILL_ARGS);
    return c;
  };

  if (o.order === 'sequential') {
    for (const system of o.systems) {
      const c = await ready(system);
      try {
        for (let rep = 1; rep <= o.reps; rep++) {
          for (const s of o.scenarios) record(await measureRun(o.benchDir, c, s, rep, [], o.guard, o.log));
        }
      } finally {
        await c.stop();
      }
    }
    return runs;
  }

  const clusters: BenchCluster[] = [];
  try {
    for (const system of o.systems) clusters.push(await ready(system));
    for (let rep = 1; rep <= o.reps; rep++) {
      // Rotate who goes first, so no system always runs on the heels of the same other.
      const shift = (rep - 1) % clusters.length;
      const order = [...clusters.slice(shift), ...clusters.slice(0, shift)];
      for (const s of o.scenarios) {
        for (const c of order) {
          const others = clusters.filter((x) => x !== c).flatMap((x) => x.members.map((m) => m.pid));
          record(await measureRun(o.benchDir, c, s, rep, others, o.guard, o.log));
        }
      }
    }
  } finally {
    for (const c of clusters) await c.stop();
  }
  return runs;
}
