/** `raftctl status`: one table of every member. */
import type { Command } from 'commander';
import { withExamples } from '../cli/help.js';
import { printJson, printNote, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { clusterProblem, mixedClustersWarning } from '../cluster/health.js';
import { clusterJson, renderClusterTable } from '../cluster/render.js';
import { collectClusterView } from '../cluster/view.js';

/** Prints the cluster's status; throws when no member answered or there is no leader. */
export async function runStatus(s: Session): Promise<void> {
  const view = await collectClusterView(s.conns, s.globals.endpoints);
  if (s.globals.json) printJson(clusterJson(view));
  else printText(renderClusterTable(view));
  const warning = mixedClustersWarning(view);
  if (warning) printNote(warning);
  const problem = clusterProblem(view);
  if (problem) throw problem;
}

/** Registers `status`. */
export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('show every member: role, term, leader, commit/applied/last index, snapshot, lag, size, reachability')
    .addHelpText(
      'after',
      `
Every endpoint is asked at once; members the cluster lists but --endpoints does not are
found through the member list and asked too. Members that do not answer are shown.
LAG is how many entries a member is behind the leader's last index.
Exits 1 when the cluster has no leader, 3 when no member answers.`,
    )
    .action((_opts: unknown, c: Command) => runSession(c, runStatus));
  withExamples(cmd, ['raftctl status', 'raftctl --endpoints 10.0.0.1:2379,10.0.0.2:2379 status', "raftctl status --json | jq '.members[] | select(.lag > 100)'"]);
}
