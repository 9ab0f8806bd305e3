/**
 * The reference 3-member etcd cluster, started and stopped with the shared
 * `etcd-cluster.sh` exactly as RESULTS-etcd.md was measured (client ports
 * 23791-23793, peer ports 23794-23796, data in `/tmp/etcd-bench`, default
 * settings, WAL fsync on).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchCluster, type ClusterMember, checkPidsAlive, waitForLeader } from './cluster.js';
import { busyPorts } from './ports.js';

/** Every port the shared script's cluster binds. */
export const ETCD_PORTS = [23791, 23792, 23793, 23794, 23795, 23796];
const BASE = '/tmp/etcd-bench';

/** Starts the shared etcd cluster (`etcd-cluster.sh start`) and returns it. */
export async function startEtcdCluster(benchDir: string, log: (line: string) => void): Promise<BenchCluster> {
  const busy = await busyPorts(ETCD_PORTS);
  if (busy.length) {
    throw new Error(
      `ports ${busy.join(', ')} are in use: an etcd bench cluster seems to be running already (pid files in ${BASE}). ` +
        `If it is yours, stop it with ${join(benchDir, 'etcd-cluster.sh')} stop; this benchmark needs a fresh one.`,
    );
  }
  const script = join(benchDir, 'etcd-cluster.sh');
  const r = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`etcd-cluster.sh start failed:\n${r.stdout}${r.stderr}`);
  const members: ClusterMember[] = [1, 2, 3].map((i) => ({
    endpoint: `127.0.0.1:2379${i}`,
    pid: Number(readFileSync(join(BASE, `m${i}.pid`), 'utf8').trim()),
    name: `m${i}`,
  }));
  const stop = async (): Promise<void> => {
    const s = spawnSync('bash', [script, 'stop'], { encoding: 'utf8', timeout: 60_000 });
    if (s.status !== 0) log(`etcd-cluster.sh stop failed: ${s.stderr}`);
  };
  try {
    const view = await waitForLeader(members.map((m) => m.endpoint), 30_000);
    log(`etcd: 3 members up (pids ${members.map((m) => m.pid).join(', ')}), leader ${view.leaderEndpoint}, term ${view.term}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { system: 'etcd', members, checkAlive: () => checkPidsAlive('etcd', members), stop };
}
