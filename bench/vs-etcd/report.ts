/**
 * Turns runs into the comparison: per scenario and system the medians of the
 * repetitions, the raftkit/etcd ratios, whether each target is met, and two
 * markdown tables (the comparison, and where the CPU went).
 */
import type { System } from './cluster.js';
import type { RunRecord } from './kvload.js';
import type { Scenario } from './scenarios.js';

/** The median of `xs` (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

/** One system's medians for one scenario. */
export interface SideSummary {
  runs: number;
  opsPerS: number;
  /** ops/s of each repetition, in order. */
  opsPerSRuns: number[];
  p50Ms: number;
  p99Ms: number;
  cpuMsPerOp: number;
  /** Median CPU of each member (m1, m2, m3), % of one core. */
  memberCpuPct: number[];
  /** Median share of the members' CPU spent in the kernel, %. */
  sysSharePct: number;
  genCpuPct: number;
  /** Median CPU seconds the members spent after the run, until idle (all members). */
  tailCpuS: number;
  machineBusyPct: number;
  unattributedPct: number;
  errors: number;
  /** Runs during which the term or the leader changed. */
  elections: number;
  /** Leader member name(s) seen. */
  leaders: string[];
  /** Runs that were still disturbed after all tries, or started on a busy machine. */
  disturbed: number;
}

/** One scenario, both systems, the ratios and the verdicts. */
export interface ScenarioSummary {
  scenario: string;
  label: string;
  raftkit: SideSummary;
  etcd: SideSummary;
  /** The null server, when it was measured: the most any server could show here today. */
  ceiling?: SideSummary;
  /** raftkit ops/s ÷ etcd ops/s, of the medians. */
  ratio: number;
  /** The same ratio within each repetition (runs next to each other in time). */
  repRatios: number[];
  targetRatio: number;
  throughputMet: boolean;
  /** raftkit CPU per op ÷ etcd's. */
  cpuRatio: number;
  /** For writes: is raftkit's cluster CPU per write at most etcd's? */
  cpuMet: boolean | undefined;
}

function side(runs: readonly RunRecord[], maxUnattributedPct: number): SideSummary {
  const m = (f: (r: RunRecord) => number): number => median(runs.map(f));
  return {
    runs: runs.length,
    opsPerS: m((r) => r.kv.ops_per_s),
    opsPerSRuns: runs.map((r) => r.kv.ops_per_s),
    p50Ms: m((r) => r.kv.p50_ms),
    p99Ms: m((r) => r.kv.p99_ms),
    cpuMsPerOp: m((r) => r.serverCpuMsPerOp),
    memberCpuPct: [0, 1, 2].map((i) => m((r) => r.serverCpuPct[i] ?? NaN)),
    sysSharePct: m((r) => {
      const cpu = r.serverCpuS.reduce((a, b) => a + b, 0);
      const sys = r.serverCpuS.reduce((a, x, i) => a + (x * (r.serverSysShare[i] ?? 0)) / 100, 0);
      return cpu > 0 ? (sys / cpu) * 100 : 0;
    }),
    genCpuPct: m((r) => r.genCpuPct),
    tailCpuS: m((r) => r.tailCpuS.reduce((a, b) => a + b, 0)),
    machineBusyPct: m((r) => r.machineBusyPct),
    unattributedPct: m((r) => r.unattributedPct),
    errors: runs.reduce((s, r) => s + r.kv.errors, 0),
    elections: runs.filter((r) => r.termAfter !== r.termBefore || r.leaderAfter !== r.leaderBefore).length,
    leaders: [...new Set(runs.flatMap((r) => [r.leaderBefore ?? '?', r.leaderAfter ?? '?']))],
    disturbed: runs.filter((r) => !r.quietBefore || r.unattributedPct > maxUnattributedPct).length,
  };
}

/** Summarizes the runs of every scenario. */
export function summarize(runs: readonly RunRecord[], scenarios: readonly Scenario[], maxUnattributedPct: number): ScenarioSummary[] {
  return scenarios.map((s) => {
    const of = (system: System): RunRecord[] => runs.filter((r) => r.scenario === s.id && r.system === system).sort((a, b) => a.rep - b.rep);
    const rk = side(of('raftkit'), maxUnattributedPct);
    const et = side(of('etcd'), maxUnattributedPct);
    const ratio = rk.opsPerS / et.opsPerS;
    const cpuRatio = rk.cpuMsPerOp / et.cpuMsPerOp;
    const etcdByRep = new Map(of('etcd').map((r) => [r.rep, r.kv.ops_per_s]));
    const nullRuns = of('null');
    return {
      scenario: s.id,
      label: s.label,
      raftkit: rk,
      etcd: et,
      ...(nullRuns.length ? { ceiling: side(nullRuns, maxUnattributedPct) } : {}),
      ratio,
      repRatios: of('raftkit').filter((r) => etcdByRep.has(r.rep)).map((r) => r.kv.ops_per_s / etcdByRep.get(r.rep)!),
      targetRatio: s.targetRatio,
      throughputMet: ratio >= s.targetRatio,
      cpuRatio,
      cpuMet: s.writes ? cpuRatio <= 1 : undefined,
    };
  });
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const dec = (n: number, d: number): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const yes = (ok: boolean): string => (ok ? '**yes**' : 'no');

function notes(s: ScenarioSummary): string {
  const parts: string[] = [];
  if (s.repRatios.some((r) => r >= s.targetRatio) && s.repRatios.some((r) => r < s.targetRatio)) {
    parts.push('borderline: the per-rep ratios straddle the target');
  }
  for (const sys of ['raftkit', 'etcd'] as const) {
    const x = s[sys];
    if (x.errors) parts.push(`${sys}: ${x.errors} errors`);
    if (x.elections) parts.push(`${sys}: election in ${x.elections} run(s)`);
    if (x.disturbed) parts.push(`${sys}: ${x.disturbed} run(s) on a busy machine`);
  }
  return parts.join('; ');
}

/** The comparison table (markdown). */
export function comparisonTable(summaries: readonly ScenarioSummary[]): string {
  const withCeiling = summaries.some((s) => s.ceiling);
  const lines = [
    '| # | scenario | raftkit ops/s (runs) | etcd ops/s (runs) | **ratio** (per rep) | target | met | raftkit p50 / p99 ms | etcd p50 / p99 ms | CPU ms/op raftkit / etcd | CPU ratio | CPU ≤ etcd |' +
      (withCeiling ? ' null-server ceiling ops/s |' : '') +
      ' notes |',
    `|---|---|--:|--:|--:|--:|:-:|--:|--:|--:|--:|:-:|${withCeiling ? '--:|' : ''}---|`,
  ];
  for (const s of summaries) {
    const r = s.raftkit;
    const e = s.etcd;
    lines.push(
      `| ${s.scenario} | ${s.label} | **${int(r.opsPerS)}** (${r.opsPerSRuns.map(int).join(', ')}) | **${int(e.opsPerS)}** (${e.opsPerSRuns.map(int).join(', ')}) | ` +
        `**${dec(s.ratio, 2)}×** (${s.repRatios.map((x) => dec(x, 2)).join(', ')}) | ≥ ${dec(s.targetRatio, 1)}× | ${yes(s.throughputMet)} | ` +
        `${dec(r.p50Ms, 2)} / ${dec(r.p99Ms, 2)} | ${dec(e.p50Ms, 2)} / ${dec(e.p99Ms, 2)} | ${dec(r.cpuMsPerOp, 3)} / ${dec(e.cpuMsPerOp, 3)} | ` +
        `${dec(s.cpuRatio, 2)}× | ${s.cpuMet === undefined ? '–' : yes(s.cpuMet)} |` +
        (withCeiling ? ` ${s.ceiling ? int(s.ceiling.opsPerS) : ''} |` : '') +
        ` ${notes(s)} |`,
    );
  }
  return lines.join('\n');
}

/** Where the CPU went (markdown): each member, the generator, the machine. */
export function cpuTable(summaries: readonly ScenarioSummary[]): string {
  const lines = [
    '| # | scenario | raftkit members m1/m2/m3 % (leader) | etcd members m1/m2/m3 % (leader) | kernel share of members\' CPU raftkit / etcd | CPU s after the run raftkit / etcd | kvload % raftkit / etcd | machine busy % raftkit / etcd (of 200) | unattributed % raftkit / etcd |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    const m = (x: SideSummary): string => `${x.memberCpuPct.map(int).join(' / ')} (${x.leaders.join(',')})`;
    lines.push(
      `| ${s.scenario} | ${s.label} | ${m(s.raftkit)} | ${m(s.etcd)} | ${int(s.raftkit.sysSharePct)} % / ${int(s.etcd.sysSharePct)} % | ${dec(s.raftkit.tailCpuS, 2)} / ${dec(s.etcd.tailCpuS, 2)} | ${int(s.raftkit.genCpuPct)} / ${int(s.etcd.genCpuPct)} | ` +
        `${int(s.raftkit.machineBusyPct)} / ${int(s.etcd.machineBusyPct)} | ${int(s.raftkit.unattributedPct)} / ${int(s.etcd.unattributedPct)} |`,
    );
  }
  return lines.join('\n');
}

/** One line per target: met or not, with the figure. */
export function targetVerdicts(summaries: readonly ScenarioSummary[]): string[] {
  const out: string[] = [];
  for (const s of summaries) {
    out.push(`${s.throughputMet ? 'MET    ' : 'NOT MET'} ${s.scenario} ${s.label}: ${dec(s.ratio, 2)}× etcd (target ≥ ${dec(s.targetRatio, 1)}×)`);
    if (s.cpuMet !== undefined) {
      out.push(`${s.cpuMet ? 'MET    ' : 'NOT MET'} ${s.scenario} cluster CPU per write: ${dec(s.raftkit.cpuMsPerOp, 3)} ms vs etcd ${dec(s.etcd.cpuMsPerOp, 3)} ms (${dec(s.cpuRatio, 2)}×, target ≤ 1×)`);
    }
  }
  return out;
}
