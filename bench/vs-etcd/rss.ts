/**
 * Resident memory after many writes: a fresh cluster takes `writes` puts of
 * the put-256 workload (256 clients, key space 10,000, 256-byte values: the
 * same keys rewritten ~100 times each, so the MVCC history grows as in the
 * matrix), in chunks; after each chunk every member's RSS is read from
 * `/proc`, and once more after 10 idle seconds at the end. RSS is reported
 * as asked (VmRSS, with its anonymous and file-backed parts) and next to it
 * PSS, which counts a page mapped several times only once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchCluster, clusterView } from './cluster.js';
import { runKvload } from './kvload.js';
import { memoryOf } from './proc.js';
import { COMMON_ARGS } from './scenarios.js';

/** One reading of a cluster's memory. */
export interface RssPoint {
  system: BenchCluster['system'];
  /** Puts acknowledged so far. */
  writes: number;
  /** 'chunk' after a chunk of writes, 'settled' after the idle wait at the end. */
  when: 'start' | 'chunk' | 'settled';
  /** ops/s and p99 of the chunk just done. */
  chunkOpsPerS?: number;
  chunkP99Ms?: number;
  errors: number;
  members: Array<{ name: string; pid: number; rssKiB: number; anonKiB: number; fileKiB: number; pssKiB: number; leader: boolean }>;
  totalRssKiB: number;
  totalPssKiB: number;
  /** Database file size the leader reports (Maintenance.Status dbSize). */
  leaderDbBytes: number;
}

/** How to run the memory phase. */
export interface RssOptions {
  benchDir: string;
  start: () => Promise<BenchCluster>;
  writes: number;
  chunk: number;
  onPoint: (p: RssPoint) => void;
  log: (line: string) => void;
}

function read(cluster: BenchCluster, writes: number, when: RssPoint['when'], errors: number, extra: Partial<RssPoint> = {}): RssPoint {
  cluster.checkAlive();
  const view = clusterView(cluster.members.map((m) => m.endpoint));
  const members = cluster.members.map((m) => ({ name: m.name, pid: m.pid, ...memoryOf(m.pid), leader: m.endpoint === view.leaderEndpoint }));
  return {
    system: cluster.system,
    writes,
    when,
    errors,
    members,
    totalRssKiB: members.reduce((s, m) => s + m.rssKiB, 0),
    totalPssKiB: members.reduce((s, m) => s + m.pssKiB, 0),
    leaderDbBytes: view.statuses.find((s) => s.endpoint === view.leaderEndpoint)?.dbSize ?? NaN,
    ...extra,
  };
}

/** Writes `writes` puts to a fresh cluster and returns its memory readings. */
export async function measureRss(o: RssOptions): Promise<RssPoint[]> {
  const cluster = await o.start();
  const points: RssPoint[] = [];
  const note = (p: RssPoint): void => {
    points.push(p);
    o.onPoint(p);
    const mib = (k: number): string => (k / 1024).toFixed(0);
    o.log(
      `  ${p.system} after ${p.writes.toLocaleString('en-US')} writes (${p.when}): RSS ${mib(p.totalRssKiB)} MiB, PSS ${mib(p.totalPssKiB)} MiB ` +
        `[${p.members.map((m) => `${m.name}${m.leader ? '*' : ''} ${mib(m.rssKiB)} (anon ${mib(m.anonKiB)}, file ${mib(m.fileKiB)})`).join(', ')}]` +
        (p.chunkOpsPerS ? `, chunk ${p.chunkOpsPerS} ops/s p99 ${p.chunkP99Ms} ms` : '') +
        `, db ${(p.leaderDbBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  };
  try {
    let writes = 0;
    let errors = 0;
    note(read(cluster, 0, 'start', 0));
    const endpoints = cluster.members.map((m) => m.endpoint).join(',');
    while (writes < o.writes) {
      const n = Math.min(o.chunk, o.writes - writes);
      const r = await runKvload(o.benchDir, ['--endpoints', endpoints, ...COMMON_ARGS, '--op', 'put', '--clients', '256', '--conns', '8', '--total', String(n)]);
      writes += r.ops;
      errors += r.errors;
      note(read(cluster, writes, 'chunk', errors, { chunkOpsPerS: r.ops_per_s, chunkP99Ms: r.p99_ms }));
    }
    await sleep(10_000);
    note(read(cluster, writes, 'settled', errors));
  } finally {
    await cluster.stop();
  }
  return points;
}

/** The memory readings as a markdown table, both systems side by side per step. */
export function rssTable(points: readonly RssPoint[]): string {
  const mib = (k: number): string => (k / 1024).toFixed(0);
  const lines = [
    '| system | writes | when | RSS total MiB | RSS per member MiB (* leader) | anon / file MiB (sum) | PSS total MiB | leader db MiB | chunk ops/s | errors |',
    '|---|--:|---|--:|---|---|--:|--:|--:|--:|',
  ];
  for (const p of points) {
    const anon = p.members.reduce((s, m) => s + m.anonKiB, 0);
    const file = p.members.reduce((s, m) => s + m.fileKiB, 0);
    lines.push(
      `| ${p.system} | ${p.writes.toLocaleString('en-US')} | ${p.when} | **${mib(p.totalRssKiB)}** | ${p.members.map((m) => `${m.name}${m.leader ? '*' : ''} ${mib(m.rssKiB)}`).join(', ')} | ` +
        `${mib(anon)} / ${mib(file)} | ${mib(p.totalPssKiB)} | ${(p.leaderDbBytes / 2 ** 20).toFixed(0)} | ${p.chunkOpsPerS ?? ''} | ${p.errors} |`,
    );
  }
  return lines.join('\n');
}
