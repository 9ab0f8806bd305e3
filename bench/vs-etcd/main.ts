/**
 * raftkit against etcd on the same machine (issue 7, item 10): the standard
 * kvload matrix (put with 1/16/64/256 clients, linearizable and serializable
 * get with 64 clients) against a fresh 3-member raftkit cluster and a fresh
 * 3-member etcd cluster, repeated and interleaved; prints both, the ratios,
 * latency, cluster CPU per op and whether each target is met.
 *
 *   pnpm --filter @raftkit/bench vs-etcd [--reps 3] [--only a,b,c,d,e,f] [--order interleaved|sequential] [--ceiling]
 *        [--rss [--rss-writes 1000000] [--rss-chunk 100000] [--rss-systems raftkit,etcd]]
 *        [--profile [--profile-scenarios a,d,e,f] [--profile-dir DIR]] [--skip-matrix]
 *        [--out DIR] [--bench-dir ../shared/bench] [--keep-data] [--quiet-wait 900]
 *
 * --ceiling adds the shared null-kv-server (a do-nothing server) to the
 * matrix: the most any server can show with this generator on this machine
 * in this run.
 *
 * Phases: the matrix (unless --skip-matrix), then the memory phase (--rss:
 * resident memory after a million writes) and the profile phase (--profile:
 * `node --cpu-prof` on every raftkit member under put-1, put-256 and get-64).
 * Before every run it waits (up to --quiet-wait seconds, then runs and flags
 * the run) for an idle machine, and redoes runs that foreign load disturbed.
 * Each phase writes small result files (JSON lines and markdown) to --out,
 * by default bench/vs-etcd/results/<date>/; CPU profiles stay in a temp dir.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCluster, System } from './cluster.js';
import { startEtcdCluster } from './etcd-cluster.js';
import { startNullServer } from './null-server.js';
import { DEFAULT_GUARD } from './kvload.js';
import { buildHash, machineInfo, machineMarkdown } from './machine.js';
import { runMatrix } from './matrix.js';
import { checkPrerequisites } from './prerequisites.js';
import { profileMarkdown, profileRaftkit } from './profile.js';
import { startRaftkitCluster } from './raftkit-cluster.js';
import { comparisonTable, cpuTable, summarize, targetVerdicts } from './report.js';
import { type RssPoint, measureRss, rssTable } from './rss.js';
import { selectScenarios } from './scenarios.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');

const { values } = parseArgs({
  // pnpm passes a literal `--` through to the script.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    order: { type: 'string', default: 'interleaved' },
    ceiling: { type: 'boolean', default: false },
    'skip-matrix': { type: 'boolean', default: false },
    rss: { type: 'boolean', default: false },
    'rss-writes': { type: 'string', default: '1000000' },
    'rss-chunk': { type: 'string', default: '100000' },
    'rss-systems': { type: 'string', default: 'raftkit,etcd' },
    profile: { type: 'boolean', default: false },
    'profile-scenarios': { type: 'string', default: 'a,d,e,f' },
    'profile-dir': { type: 'string', default: '' },
    out: { type: 'string', default: '' },
    'bench-dir': { type: 'string', default: resolve(REPO_ROOT, '../shared/bench') },
    'keep-data': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: String(DEFAULT_GUARD.quietMaxWaitS) },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  const doc = /\/\*\*([\s\S]*?)\*\//.exec((await import('node:fs')).readFileSync(fileURLToPath(import.meta.url), 'utf8'))?.[1] ?? '';
  process.stdout.write(`${doc.replace(/^ \* ?/gm, '').trim()}\n`);
  process.exit(0);
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
// `pnpm --filter` runs this in bench/; relative paths mean the directory the
// command was typed in, which pnpm passes as INIT_CWD.
const typedIn = process.env.INIT_CWD ?? process.cwd();
const benchDir = resolve(typedIn, values['bench-dir']);
const serverMain = join(REPO_ROOT, 'apps/node/dist/main.js');
const day = new Date().toISOString().slice(0, 10);
const outDir = values.out ? resolve(typedIn, values.out) : join(HERE, 'results', day);
if (values.order !== 'interleaved' && values.order !== 'sequential') throw new Error(`--order must be interleaved or sequential, not ${values.order}`);
const order = values.order;

const pre = checkPrerequisites({ repoRoot: REPO_ROOT, benchDir, serverMain });
for (const w of pre.warnings) log(`warning: ${w}`);
if (pre.missing.length) {
  log('Missing prerequisites:');
  for (const m of pre.missing) log(`  - ${m}`);
  process.exit(2);
}

// Clusters this process started, so that an interrupted run leaves nothing behind.
const live = new Set<BenchCluster>();
const track = (c: BenchCluster): BenchCluster => {
  live.add(c);
  const stop = c.stop;
  return {
    ...c,
    stop: async () => {
      live.delete(c);
      await stop();
    },
  };
};
const starters: Record<System, () => Promise<BenchCluster>> = {
  raftkit: () => startRaftkitCluster({ serverMain, keepData: values['keep-data'], log }),
  etcd: () => startEtcdCluster(benchDir, log),
  null: () => startNullServer(benchDir, log),
};
const start = async (system: System): Promise<BenchCluster> => track(await starters[system]());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the clusters this run started`);
    void Promise.all([...live].map((c) => c.stop())).finally(() => process.exit(130));
  });
}

mkdirSync(outDir, { recursive: true });
const machine = machineInfo(REPO_ROOT, serverMain);
const command = `pnpm --filter @raftkit/bench vs-etcd ${process.argv.slice(2).filter((a) => a !== '--').join(' ')}`.trim();
const report: string[] = [`Command: \`${command}\``, '', machineMarkdown(machine), ''];
const guard = { ...DEFAULT_GUARD, quietMaxWaitS: Number(values['quiet-wait']) };
log(`raftkit vs etcd: results in ${relative(process.cwd(), outDir) || '.'}\n${machineMarkdown(machine)}`);

if (!values['skip-matrix']) {
  const scenarios = selectScenarios(values.only ? values.only.split(',') : []);
  const runsFile = join(outDir, 'runs.jsonl');
  writeFileSync(runsFile, '');
  log(`matrix: ${scenarios.map((s) => s.id).join(',')}, ${values.reps} reps, ${order}`);
  const runs = await runMatrix({
    benchDir,
    systems: values.ceiling ? ['raftkit', 'etcd', 'null'] : ['raftkit', 'etcd'],
    scenarios,
    reps: Number(values.reps),
    order,
    guard,
    start,
    onRun: (r) => appendFileSync(runsFile, `${JSON.stringify(r)}\n`),
    log,
  });
  const summaries = summarize(runs, scenarios, guard.maxUnattributedPct);
  writeFileSync(join(outDir, 'summary.jsonl'), summaries.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const text = [
    `### Matrix: medians of ${values.reps} (${order}; ratio = raftkit ÷ etcd)`,
    '',
    comparisonTable(summaries),
    '',
    'Where the CPU went (medians, % of one core; the box has 200 %):',
    '',
    cpuTable(summaries),
    '',
    'Targets:',
    '',
    ...targetVerdicts(summaries).map((v) => `    ${v}`),
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'matrix.md'), `${report.join('\n')}\n${text}`);
  report.push(text);
  process.stdout.write(`\n${text}\n`);
}

if (values.rss) {
  const systems = values['rss-systems'].split(',') as System[];
  const rssFile = join(outDir, 'rss.jsonl');
  writeFileSync(rssFile, '');
  const points: RssPoint[] = [];
  const failures: string[] = [];
  for (const system of systems) {
    log(`memory: ${Number(values['rss-writes']).toLocaleString('en-US')} writes to a fresh ${system} cluster`);
    try {
      await measureRss({
        benchDir,
        start: () => start(system),
        writes: Number(values['rss-writes']),
        chunk: Number(values['rss-chunk']),
        onPoint: (p) => {
          points.push(p);
          appendFileSync(rssFile, `${JSON.stringify(p)}\n`);
        },
        log,
      });
    } catch (e) {
      // Keep what was measured, say what went wrong, go on with the other system.
      failures.push(`${system}: ${(e as Error).message}`);
      log(`memory phase for ${system} failed: ${(e as Error).message}`);
    }
  }
  const text = [
    '### Resident memory during 1M writes (put, 256 clients, key space 10,000, 256 B values)',
    '',
    rssTable(points),
    '',
    ...failures.map((f) => `**Failed**: ${f.replace(/\n/g, '\n    ')}\n`),
  ].join('\n');
  writeFileSync(join(outDir, 'rss.md'), `${report.join('\n')}\n${text}`);
  report.push(text);
  process.stdout.write(`\n${text}\n`);
}

// A long run can outlast a rebuild: say so if the code under test changed while this ran.
const finalHash = buildHash(REPO_ROOT);
if (finalHash !== machine.buildHash) {
  log(`warning: the server build changed during this run (${machine.buildHash} → ${finalHash}); members started after the change ran the new build`);
}

if (values.profile) {
  const profileDir = values['profile-dir'] ? resolve(typedIn, values['profile-dir']) : join(tmpdir(), `raftkit-vs-etcd-profiles-${Date.now()}`);
  log(`profile: raftkit members under node --cpu-prof; profiles in ${profileDir}`);
  const profiled = await profileRaftkit({
    benchDir,
    serverMain,
    repoRoot: REPO_ROOT,
    scenarios: selectScenarios(values['profile-scenarios'].split(',')),
    profileDir,
    guard,
    log,
  });
  writeFileSync(join(outDir, 'profile.json'), JSON.stringify(profiled, null, 1));
  const text = ['### CPU profiles (node --cpu-prof)', '', ...profiled.map((p) => profileMarkdown(p))].join('\n');
  writeFileSync(join(outDir, 'profile.md'), `${report.join('\n')}\n${text}`);
  process.stdout.write(`\n${text}\n`);
}
