/**
 * The harness's ceiling: `../shared/bench/kvload/null-kv-server.mjs`, a
 * do-nothing in-memory KV server in one Node process (no Raft, no disk), on
 * 127.0.0.1:23798 as in RESULTS-etcd.md. Measured in the same run as the two
 * clusters, it shows what this machine lets any server reach today.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BenchCluster, type ClusterMember, checkPidsAlive, waitForLeader } from './cluster.js';
import { busyPorts } from './ports.js';

const ENDPOINT = '127.0.0.1:23798';

/** Starts the null server and returns it as a one-member "cluster". */
export async function startNullServer(benchDir: string, log: (line: string) => void): Promise<BenchCluster> {
  if ((await busyPorts([23798])).length) throw new Error('port 23798 is in use: is a null-kv-server already running?');
  const proc = spawn(process.execPath, [join(benchDir, 'kvload', 'null-kv-server.mjs'), ENDPOINT], { stdio: 'ignore' });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  try {
    // It answers Maintenance.Status as its own leader.
    await waitForLeader([ENDPOINT], 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  log(`null server: up (pid ${proc.pid}) on ${ENDPOINT}`);
  const members: ClusterMember[] = [{ endpoint: ENDPOINT, pid: proc.pid!, name: 'null' }];
  return { system: 'null', members, checkAlive: () => checkPidsAlive('null', members), stop };
}
