/**
 * Leadership hand-off before a leader stops, as etcd's `EtcdServer.Stop`
 * does (`TransferLeadership` when it leads a cluster of more than one
 * voter): the others need not wait out an election timeout to go on.
 */
import { type RaftNode, type RaftNodeStatus, StateRole } from '@raftkit/core';
import type { Logger } from 'pino';

/**
 * The voter to hand leadership to: of the other voters heard from recently,
 * the one with the most of the log (the quickest to take over), the lowest
 * id among equals. Undefined when this member does not lead, leads alone,
 * or has heard from no other voter lately.
 */
export function transferTarget(status: Pick<RaftNodeStatus, 'id' | 'role' | 'config' | 'progress'>): number | undefined {
  if (status.role !== StateRole.Leader || !status.progress) return undefined;
  let best: { id: number; match: number } | undefined;
  for (const id of [...status.config.voters].sort((a, b) => a - b)) {
    const pr = status.progress.get(id);
    if (id === status.id || !pr || pr.isLearner || !pr.recentActive) continue;
    if (!best || pr.match > best.match) best = { id, match: pr.match };
  }
  return best?.id;
}

/**
 * Hands leadership over to {@link transferTarget} and waits until that
 * member leads, for at most `timeoutMs` (or until `force` settles). Never
 * throws: a hand-off that does not happen only means the others elect a
 * leader the usual way.
 */
export async function handOffLeadership<R>(node: RaftNode<R>, logger: Logger, timeoutMs: number, force: Promise<void>): Promise<void> {
  if (node.failed) return;
  const status = node.status();
  if (status.role !== StateRole.Leader || status.config.voters.length < 2) return;
  const to = transferTarget(status);
  if (to === undefined) {
    logger.warn('stopping the leader without a hand-off: no other voter was heard from lately');
    return;
  }
  const started = performance.now();
  logger.info({ to }, `handing leadership to member ${to} before stopping`);
  const transfer = node.transferLeadership(to, timeoutMs);
  try {
    const done = await Promise.race([transfer.then(() => true), force.then(() => false)]);
    if (done) logger.info({ to, ms: Math.round(performance.now() - started) }, `member ${to} leads now`);
  } catch (e) {
    logger.warn({ err: e, to }, 'leadership hand-off failed; stopping anyway');
  }
  // Settles later if `force` won; nobody waits for it then.
  transfer.catch(() => {});
}
