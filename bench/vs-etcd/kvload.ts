/**
 * One kvload run against one cluster, with the CPU of every party accounted
 * from `/proc`: each member, the generator (its whole life, start-up
 * included), a bystander cluster left idle, and whatever is left over
 * (kernel work or a foreign process). A run disturbed by foreign load is
 * redone, as run-matrix.mjs does.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BenchCluster, type ClusterView, clusterView } from './cluster.js';
import { CORES, busyPercent, cpuSeconds, cpuTimes, machineSample, reapedChildrenCpuSeconds, waitIdle, waitQuiet } from './proc.js';
import { COMMON_ARGS, type Scenario } from './scenarios.js';

/** kvload's JSON line (see ../shared/bench/kvload/kvload.mjs). */
export interface KvloadResult {
  op: string;
  target: string;
  endpoints: string[];
  ops: number;
  errors: number;
  seconds: number;
  ops_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  gen_cpu_pct: number;
  hit_ratio?: number;
  error_samples?: Record<string, number>;
}

/** Runs kvload once with `args` and returns its result line. */
export function runKvload(benchDir: string, args: readonly string[]): Promise<KvloadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(benchDir, 'kvload', 'kvload.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.once('error', reject);
    p.once('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`kvload ${args.join(' ')} failed (exit ${code}):\n${err}${out}`));
      else resolve(JSON.parse(line) as KvloadResult);
    });
  });
}

/** One measured run and everything known about it. */
export interface RunRecord {
  system: BenchCluster['system'];
  scenario: string;
  label: string;
  rep: number;
  /** Which try this was (runs disturbed by foreign load are redone). */
  attempt: number;
  startedAt: string;
  kv: KvloadResult;
  /** Seconds from kvload's start to its exit. */
  wallS: number;
  /** CPU seconds of each member (m1, m2, m3) over the run's wall time. */
  serverCpuS: number[];
  /** The same as % of one core. */
  serverCpuPct: number[];
  /** Share of each member's CPU in the run that was kernel time (system calls: fsync, sockets), %. */
  serverSysShare: number[];
  /**
   * CPU seconds of each member after kvload exited, until the cluster was
   * idle again: work the run left behind (followers applying the last
   * entries, snapshots, log compaction). It belongs to the run's cost.
   */
  tailCpuS: number[];
  /** How long the cluster took to become idle after kvload exited. */
  tailS: number;
  /** Cluster CPU per successful op: all members' CPU seconds (during the run and its tail) ÷ ops, in ms. */
  serverCpuMsPerOp: number;
  /** kvload's own CPU over the wall time, start-up included, % of one core. */
  genCpuPct: number;
  /** CPU of the other, idle cluster (interleaved mode), % of one core. */
  bystanderCpuPct: number;
  /** Machine busy, % of one core (out of 100 × cores). */
  machineBusyPct: number;
  /** Busy CPU nobody above accounts for: kernel work, or foreign load. */
  unattributedPct: number;
  /** Whether the machine was quiet before the run (false: gave up waiting). */
  quietBefore: boolean;
  /** Member names of the leader before and after, and the highest term then. */
  leaderBefore: string | undefined;
  leaderAfter: string | undefined;
  termBefore: number;
  termAfter: number;
  /** Monotonic clock (µs, the clock of `--cpu-prof` timestamps) when the timed part started and ended. */
  monoStartUs: number;
  monoEndUs: number;
}

/** How runs are guarded against a busy machine. */
export interface Guard {
  /** Wait before each run until the machine is at most this busy (% of one core). */
  quietBusyPct: number;
  /** Give up waiting after this many seconds (the run is flagged). */
  quietMaxWaitS: number;
  /** Redo a run when more than this much CPU (% of one core) is unaccounted for. */
  maxUnattributedPct: number;
  /** Tries per run. */
  tries: number;
}

/** Run-matrix.mjs's guard: wait for 20 % of 200 at most, redo above 50 % unattributed, 5 tries. */
export const DEFAULT_GUARD: Guard = { quietBusyPct: 20, quietMaxWaitS: 900, maxUnattributedPct: 50, tries: 5 };

/**
 * A cluster at rest, % of one core for its three members together: both
 * systems idle at a few % (heartbeats every 100 ms), well under this.
 */
const IDLE_CLUSTER_PCT = 15;

const nameOf = (cluster: BenchCluster, view: ClusterView): string | undefined => cluster.members.find((m) => m.endpoint === view.leaderEndpoint)?.name;

/** Runs `scenario` once against `cluster`, accounting CPU, without retries. */
async function measureOnce(
  benchDir: string,
  cluster: BenchCluster,
  scenario: Scenario,
  bystanderPids: readonly number[],
  guard: Guard,
  log: (line: string) => void,
): Promise<Omit<RunRecord, 'rep' | 'attempt'>> {
  const quietBefore = await waitQuiet(guard.quietBusyPct, guard.quietMaxWaitS, (busy) =>
    log(`  machine busy (${Math.round(busy)} % of ${CORES * 100}) before ${cluster.system} ${scenario.id}: waiting for it to calm down...`),
  );
  const endpoints = cluster.members.map((m) => m.endpoint);
  const before = clusterView(endpoints);
  const pids = cluster.members.map((m) => m.pid);
  const startedAt = new Date().toISOString();
  const cpu0 = pids.map(cpuSeconds);
  const sys0 = pids.map((p) => cpuTimes(p).system);
  const by0 = bystanderPids.map(cpuSeconds);
  const gen0 = reapedChildrenCpuSeconds();
  const m0 = machineSample();
  const t0 = process.hrtime.bigint();
  const kv = await runKvload(benchDir, ['--endpoints', endpoints.join(','), ...COMMON_ARGS, ...scenario.args]);
  const t1 = process.hrtime.bigint();
  cluster.checkAlive();
  const m1 = machineSample();
  const gen = reapedChildrenCpuSeconds() - gen0;
  const serverCpuS = pids.map((p, i) => cpuSeconds(p) - cpu0[i]!);
  const serverSysS = pids.map((p, i) => cpuTimes(p).system - sys0[i]!);
  const bystander = bystanderPids.map((p, i) => cpuSeconds(p) - by0[i]!).reduce((a, b) => a + b, 0);
  const cpu1 = pids.map(cpuSeconds);
  const tailS = await waitIdle(pids, IDLE_CLUSTER_PCT, 120);
  const tailCpuS = pids.map((p, i) => cpuSeconds(p) - cpu1[i]!);
  const after = clusterView(endpoints);
  const wallS = Number(t1 - t0) / 1e9;
  const pct = (cpu: number): number => Math.round((cpu / wallS) * 100);
  const machineBusyPct = Math.round(busyPercent(m0, m1));
  const serverCpuPct = serverCpuS.map(pct);
  const total = serverCpuS.reduce((a, b) => a + b, 0) + tailCpuS.reduce((a, b) => a + b, 0);
  return {
    system: cluster.system,
    scenario: scenario.id,
    label: scenario.label,
    startedAt,
    kv,
    wallS: Math.round(wallS * 1000) / 1000,
    serverCpuS: serverCpuS.map((x) => Math.round(x * 100) / 100),
    serverCpuPct,
    serverSysShare: serverSysS.map((x, i) => (serverCpuS[i]! > 0 ? Math.round((x / serverCpuS[i]!) * 100) : 0)),
    tailCpuS: tailCpuS.map((x) => Math.round(x * 100) / 100),
    tailS: Math.round(tailS * 10) / 10,
    serverCpuMsPerOp: kv.ops > 0 ? Math.round(((total * 1000) / kv.ops) * 10_000) / 10_000 : NaN,
    genCpuPct: pct(gen),
    bystanderCpuPct: pct(bystander),
    machineBusyPct,
    unattributedPct: machineBusyPct - pct(gen) - pct(bystander) - serverCpuPct.reduce((a, b) => a + b, 0),
    quietBefore,
    leaderBefore: nameOf(cluster, before),
    leaderAfter: nameOf(cluster, after),
    termBefore: before.term,
    termAfter: after.term,
    // The timed part is the last `seconds` before kvload printed and exited.
    monoEndUs: Number(t1 / 1000n),
    monoStartUs: Number(t1 / 1000n) - Math.round(kv.seconds * 1e6),
  };
}

/**
 * Runs `scenario` against `cluster` as repetition `rep`, redoing it (up to
 * `guard.tries`) while foreign load disturbed it.
 */
export async function measureRun(
  benchDir: string,
  cluster: BenchCluster,
  scenario: Scenario,
  rep: number,
  bystanderPids: readonly number[],
  guard: Guard,
  log: (line: string) => void,
): Promise<RunRecord> {
  for (let attempt = 1; ; attempt++) {
    const r = { ...(await measureOnce(benchDir, cluster, scenario, bystanderPids, guard, log)), rep, attempt };
    const disturbed = r.unattributedPct > guard.maxUnattributedPct;
    log(
      `  rep ${rep} ${cluster.system.padEnd(7)} ${scenario.id} ${scenario.label.padEnd(29)} ${String(r.kv.ops_per_s).padStart(6)} ops/s ` +
        `p50 ${r.kv.p50_ms} p99 ${r.kv.p99_ms} ms, err ${r.kv.errors}, cpu ${r.serverCpuMsPerOp.toFixed(3)} ms/op ` +
        `(tail ${r.tailCpuS.reduce((a, b) => a + b, 0).toFixed(2)} s CPU in ${r.tailS} s) ` +
        `(members ${r.serverCpuPct.join('/')} %, gen ${r.genCpuPct} %, busy ${r.machineBusyPct} %, unattributed ${r.unattributedPct} %)` +
        (r.termAfter !== r.termBefore || r.leaderAfter !== r.leaderBefore ? ` ELECTION: term ${r.termBefore}→${r.termAfter}, leader ${r.leaderBefore}→${r.leaderAfter}` : '') +
        (disturbed ? (attempt < guard.tries ? ' — disturbed, redoing' : ' — disturbed, out of tries: kept') : ''),
    );
    if (!disturbed || attempt >= guard.tries) return r;
  }
}

/** The untimed prefill run-matrix.mjs does on a fresh cluster (every key written once). */
export async function prefill(benchDir: string, cluster: BenchCluster, args: readonly string[]): Promise<void> {
  await runKvload(benchDir, ['--endpoints', cluster.members.map((m) => m.endpoint).join(','), ...COMMON_ARGS, ...args]);
}
