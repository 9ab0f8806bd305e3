/**
 * Where to send a change to the cluster: membership changes and leadership
 * transfers are decided by the leader, so raftctl finds it and asks it
 * first, keeping the other endpoints as fallbacks.
 */
import type { Session } from '../cli/session.js';
import type { Endpoint } from '../grpc/endpoints.js';
import { allFailed } from '../grpc/failover.js';
import { type ClusterView, collectClusterView, leaderEndpoint, reachable } from './view.js';

/** The endpoints to try for a change, leader first, with the view that found them. */
export async function changeTargets(s: Session): Promise<{ endpoints: Endpoint[]; view: ClusterView }> {
  const view = await collectClusterView(s.conns, s.globals.endpoints);
  const answered = reachable(view);
  if (answered.length === 0) throw allFailed(view.members.flatMap((m) => (m.error ? [m.error] : [])));
  const leader = leaderEndpoint(view, s.globals.endpoints, s.conns);
  const rest = answered.filter((m) => m.address && m.address !== leader?.address).map((m) => s.conns.endpointFor(m.address!, s.globals.endpoints));
  return { endpoints: leader ? [leader, ...rest] : rest, view };
}
