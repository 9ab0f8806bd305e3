/**
 * A 3-member raftkit cluster of built server processes (`apps/node/dist/main.js`)
 * on loopback, with fresh data directories under the system temp dir (the
 * same disk etcd's `/tmp/etcd-bench` is on). Client ports 24791-24793, peer
 * ports 24794-24796, metrics 24797-24799: clear of etcd's 23791-23796 and of
 * the null server's 23798.
 *
 * Every server setting is left at raftkit's default, as etcd runs with its
 * own defaults; those match etcd 3.4's timing (100 ms heartbeat, 1 s
 * election timeout) and snapshot interval (100,000 applied entries).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchCluster, type ClusterMember, waitForLeader } from './cluster.js';
import { busyPorts } from './ports.js';

const HOST = '127.0.0.1';
const CLIENT_PORTS = [24791, 24792, 24793];
const PEER_PORTS = [24794, 24795, 24796];
const METRICS_PORTS = [24797, 24798, 24799];

/** Every port a raftkit bench cluster binds. */
export const RAFTKIT_PORTS = [...CLIENT_PORTS, ...PEER_PORTS, ...METRICS_PORTS];

/** How to start the raftkit members. */
export interface RaftkitClusterOptions {
  /** Path of the built server, `apps/node/dist/main.js`. */
  serverMain: string;
  /** Node flags for member `i` (0-based), e.g. `--cpu-prof`. */
  nodeFlags?: (i: number) => string[];
  /** Keep the data directories and logs after stop (to look at them). */
  keepData?: boolean;
  /** Called with progress lines. */
  log: (line: string) => void;
}

/** Starts three members, waits until they agree on a leader, and returns the cluster. */
export async function startRaftkitCluster(options: RaftkitClusterOptions): Promise<BenchCluster & { root: string }> {
  const busy = await busyPorts(RAFTKIT_PORTS);
  if (busy.length) throw new Error(`ports ${busy.join(', ')} are in use: is another raftkit bench cluster running?`);
  const root = mkdtempSync(join(tmpdir(), 'raftkit-vs-etcd-'));
  const initialCluster = PEER_PORTS.map((p, i) => `${i + 1}=${HOST}:${p}`).join(',');
  const procs: ChildProcess[] = [];
  const members: ClusterMember[] = [];
  // Members that exited while nobody was stopping them: a crash the benchmark found.
  const deaths: string[] = [];
  let stopping = false;
  for (let i = 0; i < 3; i++) {
    const id = i + 1;
    const dataDir = join(root, `m${id}`);
    mkdirSync(dataDir, { recursive: true });
    // The log goes straight to a file: piping it through this process would
    // put this process's CPU into the measurement.
    const logFd = openSync(join(root, `m${id}.log`), 'a');
    const args = [
      ...(options.nodeFlags?.(i) ?? []),
      options.serverMain,
      '--id', String(id),
      '--data-dir', dataDir,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'raftkit-vs-etcd',
      '--listen-client-urls', `${HOST}:${CLIENT_PORTS[i]}`,
      '--listen-peer-urls', `${HOST}:${PEER_PORTS[i]}`,
      '--listen-metrics-urls', `${HOST}:${METRICS_PORTS[i]}`,
      '--log-format', 'json',
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    proc.once('exit', (code, signal) => {
      if (stopping) return;
      const logPath = join(root, `m${id}.log`);
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-8).join('\n');
      deaths.push(`m${id} (pid ${proc.pid}) exited with ${signal ?? `code ${code}`}; last lines of ${logPath}:\n${tail}`);
      options.log(`raftkit member m${id} died: ${deaths[deaths.length - 1]}`);
    });
    procs.push(proc);
    members.push({ endpoint: `${HOST}:${CLIENT_PORTS[i]}`, pid: proc.pid!, name: `m${id}` });
  }
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(procs.map((p) => stopProcess(p)));
    if (deaths.length) options.log(`raftkit: a member died; its data and logs are kept in ${root}`);
    else if (!options.keepData) rmSync(root, { recursive: true, force: true });
  };
  const checkAlive = (): void => {
    if (deaths.length) throw new Error(`raftkit member died during the benchmark: ${deaths.join('\n')}`);
  };
  try {
    const view = await waitForLeader(members.map((m) => m.endpoint), 30_000);
    options.log(`raftkit: 3 members up (pids ${members.map((m) => m.pid).join(', ')}), leader ${view.leaderEndpoint}, term ${view.term}; data and logs in ${root}`);
  } catch (e) {
    await stop();
    throw new Error(`raftkit cluster did not start: ${(e as Error).message}\n(member logs were in ${root})`);
  }
  return { system: 'raftkit', members, root, checkAlive, stop };
}

/**
 * SIGTERM (a graceful stop that also writes a `--cpu-prof` profile), then
 * SIGKILL if the process has not exited after 20 s.
 */
function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    p.kill('SIGTERM');
  });
}
