/**
 * What the benchmark needs from a running 3-member cluster, raftkit or etcd,
 * and how it asks a cluster who leads: `etcdctl endpoint status`, which
 * speaks `Maintenance.Status` to both (the same call kvload uses to find the
 * leader), so the answer means the same thing for both systems.
 */
import { spawnSync } from 'node:child_process';
import { isAlive } from './proc.js';

/** The two systems compared, and the do-nothing server that shows the harness's ceiling. */
export type System = 'raftkit' | 'etcd' | 'null';

/** One member process of a running cluster. */
export interface ClusterMember {
  /** The member's client endpoint, host:port. */
  endpoint: string;
  pid: number;
  /** A short name for tables: m1, m2, m3. */
  name: string;
}

/** A running cluster the benchmark started and will stop. */
export interface BenchCluster {
  readonly system: System;
  readonly members: readonly ClusterMember[];
  /**
   * Throws, naming the member and what is known of its end (exit status, the
   * tail of its log), when a member process has died: figures measured after
   * that would be meaningless.
   */
  checkAlive(): void;
  /** Stops every member and removes its data (a raftkit cluster with a dead member keeps its logs). */
  stop(): Promise<void>;
}

/** checkAlive for members known only by pid. */
export function checkPidsAlive(system: System, members: readonly ClusterMember[]): void {
  const dead = members.filter((m) => !isAlive(m.pid));
  if (dead.length) throw new Error(`${system} member(s) ${dead.map((m) => `${m.name} (pid ${m.pid})`).join(', ')} died during the benchmark`);
}

/** One member's answer to Maintenance.Status. */
export interface EndpointStatus {
  endpoint: string;
  /** Member ids as decimal strings: etcd's are 64-bit and do not fit a JavaScript number. */
  memberId: string;
  leader: string;
  raftTerm: number;
  raftIndex: number;
  dbSize: number;
}

/** The cluster's view at one moment: who leads, at which term. */
export interface ClusterView {
  statuses: EndpointStatus[];
  /** The endpoint of the member that reports itself leader, if any. */
  leaderEndpoint: string | undefined;
  /** Highest term any member reports. */
  term: number;
}

/**
 * Asks every endpoint for its status with etcdctl. Endpoints that do not
 * answer are left out (etcdctl still prints the others).
 */
export function clusterView(endpoints: readonly string[], timeoutS = 3): ClusterView {
  const r = spawnSync('etcdctl', ['--endpoints', endpoints.join(','), `--command-timeout=${timeoutS}s`, 'endpoint', 'status', '-w', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: (timeoutS + 5) * 1000,
  });
  const text = r.stdout?.trim() ?? '';
  if (!text.startsWith('[')) return { statuses: [], leaderEndpoint: undefined, term: 0 };
  // Quote 64-bit integers before parsing so that etcd's member ids survive.
  const parsed = JSON.parse(text.replace(/([:[,]\s*)(\d{16,})/g, '$1"$2"')) as Array<{
    Endpoint: string;
    Status: { header: { member_id: number | string }; leader: number | string; raftTerm: number; raftIndex: number; dbSize: number };
  }>;
  const statuses = parsed.map((p) => ({
    endpoint: p.Endpoint,
    memberId: String(p.Status.header.member_id),
    leader: String(p.Status.leader),
    raftTerm: Number(p.Status.raftTerm),
    raftIndex: Number(p.Status.raftIndex),
    dbSize: Number(p.Status.dbSize),
  }));
  const lead = statuses.find((s) => s.memberId === s.leader && s.leader !== '0');
  return { statuses, leaderEndpoint: lead?.endpoint, term: Math.max(0, ...statuses.map((s) => s.raftTerm)) };
}

/**
 * Waits until all `endpoints` answer and agree on one leader; returns that
 * view, or throws after `timeoutMs`.
 */
export async function waitForLeader(endpoints: readonly string[], timeoutMs: number): Promise<ClusterView> {
  const deadline = Date.now() + timeoutMs;
  let view = clusterView(endpoints);
  while (Date.now() < deadline) {
    const leaders = new Set(view.statuses.map((s) => s.leader));
    if (view.statuses.length === endpoints.length && view.leaderEndpoint && leaders.size === 1) return view;
    await new Promise((r) => setTimeout(r, 250));
    view = clusterView(endpoints);
  }
  throw new Error(`no agreed leader among ${endpoints.join(', ')} within ${timeoutMs} ms (last view: ${JSON.stringify(view.statuses)})`);
}

/** The member process behind the leader's endpoint, if a leader is known. */
export function leaderMember(cluster: BenchCluster, view: ClusterView): ClusterMember | undefined {
  return cluster.members.find((m) => m.endpoint === view.leaderEndpoint);
}
