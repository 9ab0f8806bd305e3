/** What is wrong with a cluster view, if anything, as the error `status` ends with. */
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { allFailed } from '../grpc/failover.js';
import { type ClusterView, reachable } from './view.js';

/**
 * The problem that makes `status` fail: no member answered (exit 3), or
 * no leader (exit 1). Unreachable members of a cluster that has a leader are
 * shown in the table but are not a failure.
 */
export function clusterProblem(view: ClusterView): CliError | undefined {
  const answered = reachable(view);
  if (answered.length === 0) {
    return allFailed(view.members.flatMap((m) => (m.error ? [m.error] : [])));
  }
  if (view.leaderId !== 0) return undefined;
  const voters = view.members.filter((m) => m.id !== undefined && !m.isLearner).length;
  const quorum = Math.floor(voters / 2) + 1;
  return new CliError(ExitCode.Unhealthy, `the cluster has no leader (${answered.length} of ${view.members.length} members answered)`, {
    hint: `A majority (${quorum} of ${voters} voting members) must run and reach each other; start the stopped members or check the network.`,
  });
}

/** A warning when the endpoints belong to different clusters. */
export function mixedClustersWarning(view: ClusterView): string | undefined {
  if (view.clusterIds.length <= 1) return undefined;
  return `Warning: the endpoints belong to ${view.clusterIds.length} different clusters (ids ${view.clusterIds.join(', ')}); list members of one cluster in --endpoints.`;
}
