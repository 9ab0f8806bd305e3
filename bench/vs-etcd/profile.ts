/**
 * Profiles raftkit under load: a fresh cluster whose three members run with
 * `node --cpu-prof`, prefilled, then one run of each chosen scenario (put-1,
 * put-256 and the two get-64 by default). The members are stopped gracefully
 * so that V8 writes the profiles; each run's window is then cut out of the
 * leader's profile and out of a follower's (followers replicate every write
 * and serve a third of the reads).
 *
 * The profiler costs some throughput: these runs are for finding where the
 * time goes, never for the comparison.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './cpuprofile.js';
import { type Guard, type RunRecord, measureRun, prefill } from './kvload.js';
import { startRaftkitCluster } from './raftkit-cluster.js';
import { PREFILL_ARGS, type Scenario } from './scenarios.js';

/** One profiled run and the summaries of the members looked at. */
export interface ProfiledRun {
  run: RunRecord;
  members: Array<{ name: string; role: 'leader' | 'follower'; cpuS: number; profile: ProfileSummary; file: string }>;
}

/** How to profile. */
export interface ProfileOptions {
  benchDir: string;
  serverMain: string;
  repoRoot: string;
  scenarios: readonly Scenario[];
  /** Where the .cpuprofile files go (they are large: keep them out of the repository). */
  profileDir: string;
  guard: Guard;
  log: (line: string) => void;
}

/** Runs the profiled scenarios and summarizes the profiles. */
export async function profileRaftkit(o: ProfileOptions): Promise<ProfiledRun[]> {
  mkdirSync(o.profileDir, { recursive: true });
  const fileOf = (name: string): string => join(o.profileDir, `${name}.cpuprofile`);
  const cluster = await startRaftkitCluster({
    serverMain: o.serverMain,
    nodeFlags: (i) => ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, `--cpu-prof-name=m${i + 1}.cpuprofile`],
    log: o.log,
  });
  const runs: RunRecord[] = [];
  try {
    o.log('raftkit (profiled): prefilling 10,000 keys (untimed)');
    await prefill(o.benchDir, cluster, PREFILL_ARGS);
    for (const s of o.scenarios) runs.push(await measureRun(o.benchDir, cluster, s, 1, [], o.guard, o.log));
  } finally {
    await cluster.stop();
  }
  // V8 writes the profile while the process exits; give the file system a moment.
  for (let i = 0; i < 50 && !cluster.members.every((m) => existsSync(fileOf(m.name))); i++) await sleep(100);
  const profiles = new Map(cluster.members.map((m) => [m.name, JSON.parse(readFileSync(fileOf(m.name), 'utf8')) as CpuProfile]));

  return runs.map((run) => {
    const leader = run.leaderAfter ?? run.leaderBefore ?? 'm1';
    const follower = cluster.members.map((m) => m.name).find((n) => n !== leader)!;
    // Reads are served by every member; writes only by the leader (followers just replicate).
    const looked: Array<[string, 'leader' | 'follower']> = [[leader, 'leader'], [follower, 'follower']];
    return {
      run,
      members: looked.map(([name, role]) => ({
        name,
        role,
        cpuS: run.serverCpuS[cluster.members.findIndex((m) => m.name === name)] ?? NaN,
        profile: summarizeProfile(profiles.get(name)!, run.monoStartUs, run.monoEndUs, o.repoRoot),
        file: fileOf(name),
      })),
    };
  });
}

/** A profiled run as markdown: the run, then per member the areas and the top functions. */
export function profileMarkdown(p: ProfiledRun, topN = 15): string {
  const r = p.run;
  const out = [
    `### ${r.scenario}: ${r.label} (profiled)`,
    '',
    `${r.kv.ops_per_s} ops/s under the profiler, p50 ${r.kv.p50_ms} ms, p99 ${r.kv.p99_ms} ms; members' CPU ${r.serverCpuPct.join(' / ')} % of a core (m1/m2/m3), leader ${r.leaderAfter}.`,
    '',
  ];
  for (const m of p.members) {
    const s = m.profile;
    out.push(
      `**${m.name} (${m.role})**: main thread busy ${Math.round(s.busyMs)} ms of ${Math.round(s.sampledMs)} ms sampled ` +
        `(${Math.round((s.busyMs / s.sampledMs) * 100)} %; wall time, so a commit blocked in fdatasync counts as busy); ` +
        `the process used ${m.cpuS.toFixed(2)} s of CPU in the run, all threads. Profile: \`${m.file}\``,
      '',
      '| area (self time) | % of busy |',
      '|---|--:|',
      ...s.categories.filter((c) => c.pct >= 0.5).map((c) => `| ${c.name} | ${c.pct} |`),
      '',
      '| top self time | where | % of busy | mostly under (share of its self time) |',
      '|---|---|--:|---|',
      ...s.topSelf
        .slice(0, topN)
        .map((f) => `| \`${f.name}\` | ${f.location || f.category} | ${f.pct} | ${f.under ? `\`${f.under.name}\` ${f.under.location} (${f.under.pct} %)` : ''} |`),
      '',
      '| raftkit function, inclusive | where | % of busy |',
      '|---|---|--:|',
      ...s.topRaftkitInclusive.slice(0, topN).map((f) => `| \`${f.name}\` | ${f.location} | ${f.pct} |`),
      '',
    );
  }
  return out.join('\n');
}
