/**
 * The state of the whole cluster as one snapshot in time: every endpoint's
 * `Admin.Status`, asked concurrently, completed with the members the
 * cluster lists (`Admin.ListMembers`) that were not among the endpoints, so
 * that members which do not answer are shown rather than missed.
 */
import { adminv1 } from '@raftkit/proto';
import { type CliError, asCliError } from '../cli/errors.js';
import type { Connections } from '../grpc/connections.js';
import type { Endpoint } from '../grpc/endpoints.js';

/** One member (or one endpoint that did not say which member it is). */
export interface MemberView {
  /** The member id; undefined for an endpoint that did not answer and is not in the member list. */
  id: number | undefined;
  name: string | undefined;
  /** The client address it was (or would be) asked at; undefined when the cluster knows none. */
  address: string | undefined;
  isLearner: boolean;
  /** Its status, when it answered. */
  status: adminv1.MemberStatus | undefined;
  /** Why it did not answer. */
  error: CliError | undefined;
  /** Entries it is behind the leader (leader's last index − its applied index), when known. */
  lag: number | undefined;
  isLeader: boolean;
}

/** The cluster as raftctl sees it. */
export interface ClusterView {
  /** The cluster id the answering members report (the most common one). */
  clusterId: number | undefined;
  /** Every cluster id reported; more than one means the endpoints mix clusters. */
  clusterIds: number[];
  /** The leader, or 0 when there is none. */
  leaderId: number;
  /** The highest term any member reported. */
  term: number;
  members: MemberView[];
}

interface Probe {
  endpoint: Endpoint;
  status: adminv1.MemberStatus | undefined;
  error: CliError | undefined;
  list: adminv1.ListMembersResponse | undefined;
}

/** The status of one endpoint (the error instead when it does not answer). */
export async function probeStatus(conns: Connections, endpoint: Endpoint): Promise<{ status?: adminv1.MemberStatus; error?: CliError }> {
  try {
    const res = await conns.admin<adminv1.StatusResponse>(endpoint, (c, md, o, cb) => c.status({}, md, o, cb));
    if (!res.status) throw new Error('the member sent an empty status');
    return { status: res.status };
  } catch (e) {
    return { error: asCliError(e) };
  }
}

async function probe(conns: Connections, endpoint: Endpoint): Promise<Probe> {
  const [s, list] = await Promise.all([
    probeStatus(conns, endpoint),
    conns.admin<adminv1.ListMembersResponse>(endpoint, (c, md, o, cb) => c.listMembers({ linearizable: false }, md, o, cb)).catch(() => undefined),
  ]);
  return { endpoint, status: s.status, error: s.error, list };
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, n] of counts) if (best === undefined || n > (counts.get(best) ?? 0)) best = v;
  return best;
}

/**
 * Asks every endpoint, then every other member the cluster lists, for its
 * status, and works out the leader and each member's lag.
 */
export async function collectClusterView(conns: Connections, endpoints: readonly Endpoint[]): Promise<ClusterView> {
  const probes = await Promise.all(endpoints.map((e) => probe(conns, e)));
  const rows = new Map<number, MemberView>();
  const strays: MemberView[] = [];
  const blank = (over: Partial<MemberView>): MemberView => ({
    id: undefined, name: undefined, address: undefined, isLearner: false, status: undefined, error: undefined, lag: undefined, isLeader: false, ...over,
  });

  for (const p of probes) {
    if (p.status && !rows.has(p.status.memberId)) {
      rows.set(p.status.memberId, blank({ id: p.status.memberId, name: p.status.name, address: p.endpoint.address, isLearner: p.status.isLearner, status: p.status }));
    }
  }
  // The member list from the leader when it answered (it is the most current), else from any member.
  const leaderProbe = probes.find((p) => p.status?.role === adminv1.Role.LEADER && p.list);
  const list = (leaderProbe ?? probes.find((p) => p.list))?.list;
  const failed = probes.filter((p) => !p.status);
  const toAsk: MemberView[] = [];
  for (const m of list?.members ?? []) {
    const known = rows.get(m.id);
    if (known) {
      known.name = m.name || known.name;
      known.isLearner = m.isLearner;
      continue;
    }
    const row = blank({ id: m.id, name: m.name, address: m.clientAddress || undefined, isLearner: m.isLearner });
    rows.set(m.id, row);
    // An endpoint that already failed at this address needs no second try.
    const tried = failed.find((p) => p.endpoint.address === m.clientAddress);
    if (tried) {
      row.error = tried.error;
      failed.splice(failed.indexOf(tried), 1);
    } else if (m.clientAddress) {
      toAsk.push(row);
    }
  }
  for (const p of failed) strays.push(blank({ address: p.endpoint.address, error: p.error }));

  await Promise.all(
    toAsk.map(async (row) => {
      const r = await probeStatus(conns, conns.endpointFor(row.address!, endpoints));
      row.status = r.status;
      row.error = r.error;
    }),
  );

  const members = [...[...rows.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)), ...strays];
  const statuses = members.flatMap((m) => (m.status ? [m.status] : []));
  const term = Math.max(0, ...statuses.map((s) => s.term));
  const leaderStatus = statuses.filter((s) => s.role === adminv1.Role.LEADER).sort((a, b) => b.term - a.term)[0];
  let leaderId = leaderStatus?.memberId ?? 0;
  if (!leaderStatus) {
    // The leader itself may not answer us while the others still follow it.
    const reported = new Set(statuses.filter((s) => s.term === term).map((s) => s.leaderId));
    const only = reported.size === 1 ? [...reported][0] : undefined;
    if (only) leaderId = only;
  }
  for (const m of members) {
    m.isLeader = m.id !== undefined && m.id === leaderId;
    if (!leaderStatus) continue;
    if (m.status) m.lag = Math.max(0, leaderStatus.lastIndex - m.status.appliedIndex);
    else if (m.id !== undefined) m.lag = leaderStatus.progress.find((p) => p.id === m.id)?.lag;
  }
  const clusterIds = [...new Set(statuses.map((s) => s.clusterId))];
  return { clusterId: mostCommon(statuses.map((s) => s.clusterId)), clusterIds, leaderId, term, members };
}

/** Members that answered. */
export function reachable(view: ClusterView): MemberView[] {
  return view.members.filter((m) => m.status !== undefined);
}

/** The endpoint of the leader, when it answered. */
export function leaderEndpoint(view: ClusterView, like: readonly Endpoint[], conns: Connections): Endpoint | undefined {
  const leader = view.members.find((m) => m.isLeader && m.status && m.address);
  return leader ? conns.endpointFor(leader.address!, like) : undefined;
}
