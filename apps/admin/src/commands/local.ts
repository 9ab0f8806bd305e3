/**
 * `raftctl local up | down | status`: an N-member cluster on this machine,
 * in the background, for trying raftkit out. Everything lives under
 * ./.raftkit-local (or --dir).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CliError, usageError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { durationOption, formatDuration } from '../cli/duration.js';
import { withExamples } from '../cli/help.js';
import { intIn } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { clusterJson, renderClusterTable, roleName } from '../cluster/render.js';
import { type ClusterView, collectClusterView } from '../cluster/view.js';
import { renderTable } from '../format/table.js';
import { memberList } from '../format/units.js';
import type { Endpoint } from '../grpc/endpoints.js';
import { DEFAULT_LOCAL_DIR, type LocalCluster, type LocalMember, localPaths, memberPorts, readLocalCluster, writeLocalCluster } from '../local/layout.js';
import { busyPorts } from '../local/ports.js';
import { isOurs, isRunning, spawnDetached, stopProcesses } from '../local/processes.js';
import { resolveServerMain } from '../local/server-bin.js';

const MAX_NODES = 15;

/** A path as the user should read it: relative to the working directory when inside it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}

function endpointsOf(members: readonly LocalMember[]): Endpoint[] {
  return members.map((m) => ({ address: m.client, tls: false }));
}

/** Whether member `m` of `c` runs now (its pid alive and still ours). */
function alive(c: LocalCluster, m: LocalMember): boolean {
  return m.pid !== null && isRunning(m.pid) && isOurs(m.pid, c.config);
}

/** The server's environment: none of the caller's RAFTKIT_* settings, which would override the shared file. */
function memberEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAFTKIT_') && !k.startsWith('RAFTCTL_')));
}

function lastLogLine(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  } catch {
    return '(no log)';
  }
}

/** A new cluster record, with the server configuration file written. */
function createCluster(dir: string, nodes: number, basePort: number, server: string, serverArgs: string[]): LocalCluster {
  const p = localPaths(dir);
  const last = memberPorts(basePort, nodes);
  if (last.metrics > 65535) throw usageError(`--base-port ${basePort} leaves no room for ${nodes} members (they use ports up to ${last.metrics})`, 'Choose a lower --base-port.');
  const members: LocalMember[] = Array.from({ length: nodes }, (_, i) => {
    const id = i + 1;
    const ports = memberPorts(basePort, id);
    return { id, client: `127.0.0.1:${ports.client}`, peer: `127.0.0.1:${ports.peer}`, metrics: `127.0.0.1:${ports.metrics}`, pid: null, dataDir: p.dataDir(id), log: p.log(id) };
  });
  mkdirSync(dir, { recursive: true });
  // One file for every member, listing each one's client address too, so that any member can
  // tell clients (and raftctl status) where the others are.
  const config = {
    clusterToken: `raftkit-local-${randomBytes(6).toString('hex')}`,
    dataDir: resolve(dir, 'm{id}', 'data'),
    members: members.map((m) => ({ id: m.id, name: `m${m.id}`, peer: m.peer, client: m.client, metrics: m.metrics })),
    log: { format: 'pretty' },
  };
  writeFileSync(p.config, `${JSON.stringify(config, null, 2)}\n`);
  return { version: 1, createdAt: new Date().toISOString(), server, config: p.config, serverArgs, members };
}

async function waitForLeader(s: Session, c: LocalCluster, started: readonly LocalMember[], waitMs: number): Promise<ClusterView> {
  const deadline = Date.now() + waitMs;
  let view: ClusterView | undefined;
  while (Date.now() < deadline) {
    const dead = started.find((m) => !alive(c, m));
    if (dead) {
      throw new CliError(ExitCode.Local, `member ${dead.id} exited during startup: ${lastLogLine(dead.log)}`, { hint: `See ${shown(dead.log)}; stop the rest with raftctl local down.` });
    }
    view = await collectClusterView(s.conns, endpointsOf(c.members));
    if (view.leaderId !== 0 && view.members.every((m) => m.status)) return view;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(ExitCode.Unhealthy, `the local cluster elected no leader within ${formatDuration(waitMs)}`, {
    hint: `See the logs in ${shown(resolve(c.config, '..'))}/m<id>/member.log; stop it with raftctl local down.`,
  });
}

interface UpFlags {
  nodes: number;
  basePort: number;
  dir: string;
  server?: string;
  wait: number;
}

async function up(s: Session, o: UpFlags, serverArgs: string[], nodesGiven: boolean): Promise<void> {
  const dir = resolve(o.dir);
  const p = localPaths(dir);
  let cluster = readLocalCluster(dir);
  if (cluster && nodesGiven && cluster.members.length !== o.nodes) {
    throw usageError(`${shown(dir)} holds a ${cluster.members.length}-member cluster, not ${o.nodes}`, `Start it with --nodes ${cluster.members.length}, or remove it first with raftctl local down --purge.`);
  }
  if (cluster && serverArgs.length > 0) cluster.serverArgs = serverArgs;
  const server = cluster && existsSync(cluster.server) && !o.server ? cluster.server : resolveServerMain(o.server);
  cluster ??= createCluster(dir, o.nodes, o.basePort, server, serverArgs);
  cluster.server = server;
  const c = cluster;
  const toStart = c.members.filter((m) => !alive(c, m));
  const wanted = toStart.flatMap((m) => [m.client, m.peer, m.metrics].map((a) => ({ id: m.id, port: Number(a.slice(a.lastIndexOf(':') + 1)) })));
  const busy = await busyPorts(wanted.map((w) => w.port));
  if (busy.length > 0) {
    const which = busy.map((port) => `${port} (member ${wanted.find((w) => w.port === port)?.id})`).join(', ');
    throw new CliError(ExitCode.Local, `ports already in use: ${which}`, { hint: 'Another cluster (or etcd) may be running there; stop it, or pick other ports with --base-port (with local down --purge first if this folder exists).' });
  }
  for (const m of toStart) {
    mkdirSync(p.memberDir(m.id), { recursive: true });
    m.pid = spawnDetached([server, '--config', c.config, '--id', String(m.id), ...c.serverArgs], m.log, dir, memberEnv());
    // Recorded at once, so that `local down` finds it even if raftctl stops before the end.
    writeLocalCluster(dir, c);
  }
  let view: ClusterView;
  try {
    view = await waitForLeader(s, c, toStart, o.wait);
  } catch (e) {
    if (e instanceof CliError && e.exitCode === ExitCode.Local) {
      // A member that cannot start leaves a cluster that cannot work: stop the ones just started.
      await stopProcesses(toStart.flatMap((m) => (m.pid !== null && alive(c, m) ? [m.pid] : [])), 5000);
      for (const m of toStart) m.pid = null;
      writeLocalCluster(dir, c);
    }
    throw e;
  }
  const endpoints = c.members.map((m) => m.client).join(',');
  if (s.globals.json) {
    printJson({ dir, started: toStart.map((m) => m.id), endpoints, members: c.members, status: clusterJson(view) });
    return;
  }
  const defaultReaches = c.members[0]?.client === '127.0.0.1:2379';
  printText(
    [
      toStart.length === c.members.length
        ? `Started a ${c.members.length}-member cluster in ${shown(dir)}.`
        : toStart.length === 0
          ? `The ${c.members.length}-member cluster in ${shown(dir)} is already running.`
          : `Started ${memberList(toStart.map((m) => m.id))} of the ${c.members.length}-member cluster in ${shown(dir)}.`,
      '',
      renderClusterTable(view),
      '',
      `Endpoints: ${endpoints}`,
      `Try:       raftctl ${defaultReaches ? '' : `--endpoints ${c.members[0]?.client} `}status`,
      `           raftctl ${defaultReaches ? '' : `--endpoints ${endpoints} `}kv put greeting hello`,
      `Logs:      ${shown(dir)}/m<id>/member.log`,
      'Stop:      raftctl local down (--purge also deletes the data)',
    ].join('\n'),
  );
}

async function down(s: Session, o: { dir: string; purge?: boolean; grace: number }): Promise<void> {
  const dir = resolve(o.dir);
  const c = readLocalCluster(dir);
  if (!c) {
    if (o.purge && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    if (s.globals.json) printJson({ dir, stopped: [], killed: [], purged: o.purge === true });
    else printText(`No local cluster in ${shown(dir)}.`);
    return;
  }
  const running = c.members.filter((m) => alive(c, m));
  const killed = await stopProcesses(running.map((m) => m.pid!), o.grace);
  for (const m of c.members) m.pid = null;
  if (o.purge) rmSync(dir, { recursive: true, force: true });
  else writeLocalCluster(dir, c);
  const killedIds = running.filter((m) => killed.includes(m.pid ?? -1)).map((m) => m.id);
  if (s.globals.json) {
    printJson({ dir, stopped: running.map((m) => m.id), killed: killedIds, purged: o.purge === true });
    return;
  }
  const lines = [running.length ? `Stopped ${memberList(running.map((m) => m.id))}.` : 'No member was running.'];
  if (killedIds.length) lines.push(`${memberList(killedIds)} did not stop within ${formatDuration(o.grace)} and ${killedIds.length === 1 ? 'was' : 'were'} killed.`);
  lines.push(o.purge ? `Removed ${shown(dir)}.` : `Data kept in ${shown(dir)}: raftctl local up starts it again; raftctl local down --purge deletes it.`);
  printText(lines.join('\n'));
}

async function status(s: Session, o: { dir: string }): Promise<void> {
  const dir = resolve(o.dir);
  const c = readLocalCluster(dir);
  if (!c) {
    if (s.globals.json) printJson({ dir, members: [] });
    else printText(`No local cluster in ${shown(dir)}; start one with raftctl local up --nodes 3.`);
    return;
  }
  const running = new Set(c.members.filter((m) => alive(c, m)).map((m) => m.id));
  const view = running.size > 0 ? await collectClusterView(s.conns, endpointsOf(c.members.filter((m) => running.has(m.id)))) : undefined;
  const rows = c.members.map((m) => {
    const v = view?.members.find((x) => x.id === m.id);
    return { m, running: running.has(m.id), role: v?.status ? roleName(v.status) : undefined, leader: v?.isLeader === true };
  });
  if (s.globals.json) {
    printJson({
      dir,
      leader: view?.leaderId || null,
      endpoints: c.members.map((m) => m.client).join(','),
      members: rows.map((r) => ({ ...r.m, pid: r.running ? r.m.pid : null, running: r.running, role: r.role ?? null, isLeader: r.leader })),
    });
    return;
  }
  printText(
    [
      `Local cluster in ${shown(dir)} (logs in m<id>/member.log):`,
      '',
      renderTable(
        [
          { header: 'ID', cell: (r) => String(r.m.id), right: true },
          { header: 'PID', cell: (r) => (r.running ? String(r.m.pid) : '-'), right: true },
          { header: 'PROCESS', cell: (r) => (r.running ? 'running' : 'stopped') },
          { header: 'CLIENT', cell: (r) => r.m.client },
          { header: 'PEER', cell: (r) => r.m.peer },
          { header: 'METRICS', cell: (r) => r.m.metrics },
          { header: 'ROLE', cell: (r) => r.role ?? (r.running ? 'not answering' : '-') },
          { header: 'LEADER', cell: (r) => (r.leader ? '*' : '') },
        ],
        rows,
      ),
    ].join('\n'),
  );
}

/** Registers `local`. */
export function registerLocal(program: Command): void {
  const local = program.command('local').description('run a cluster on this machine, in the background, to try raftkit');
  local.addHelpText('after', `\nMembers keep their data and logs in ${DEFAULT_LOCAL_DIR}/m<id>/ (under the working directory).`);
  withExamples(local, ['raftctl local up --nodes 3', 'raftctl local status', 'raftctl local down --purge']);
  const dirOption = () => new Option('--dir <path>', 'where the cluster lives').default(DEFAULT_LOCAL_DIR);

  const upCmd = local
    .command('up')
    .description('start an N-member cluster on 127.0.0.1 (or restart the stopped members of the existing one)')
    .option('--nodes <n>', 'number of members', intIn('--nodes', 1, MAX_NODES), 3)
    .option('--base-port <port>', 'member i serves clients on base + 10(i-1), peers on the next port, metrics on the one after', intIn('--base-port', 1, 65535), 2379)
    .addOption(dirOption())
    .addOption(new Option('--server <path>', "the server's dist/main.js (default: @raftkit/node's)").env('RAFTCTL_SERVER'))
    .addOption(durationOption('--wait <duration>', 'how long to wait for a leader', 30_000))
    .argument('[server-flags...]', 'after --, flags for every member (raftkit-node --help lists them)')
    .addHelpText('after', `\nWaits until a leader is elected, then prints the members and the endpoints to use.\nMembers ignore RAFTKIT_* variables of this shell; pass server flags after --.`)
    .action((serverArgs: string[], o: UpFlags, c: Command) => runSession(c, (s) => up(s, o, serverArgs, c.getOptionValueSource('nodes') === 'cli')));
  withExamples(upCmd, ['raftctl local up --nodes 3', 'raftctl local up --nodes 5 --base-port 12379', 'raftctl local up --nodes 3 -- --tick-ms 50 --snapshot-count 1000']);

  const downCmd = local
    .command('down')
    .description('stop the local cluster (SIGTERM, then SIGKILL after --grace); --purge also deletes its data')
    .addOption(dirOption())
    .option('--purge', 'delete the data and logs too')
    .addOption(durationOption('--grace <duration>', 'how long members may take to stop before they are killed', 10_000))
    .action((o: { dir: string; purge?: boolean; grace: number }, c: Command) => runSession(c, (s) => down(s, o)));
  withExamples(downCmd, ['raftctl local down', 'raftctl local down --purge']);

  const statusCmd = local
    .command('status')
    .description('show which local members are running, their addresses and roles')
    .addOption(dirOption())
    .action((o: { dir: string }, c: Command) => runSession(c, (s) => status(s, o)));
  withExamples(statusCmd, ['raftctl local status', 'raftctl local status --json']);
}
