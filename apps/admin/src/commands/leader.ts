/** `raftctl leader transfer [id]`: hand leadership to another voter. */
import type { Command } from 'commander';
import type { adminv1 } from '@raftkit/proto';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { withExamples } from '../cli/help.js';
import { memberId } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { changeTargets } from '../cluster/targets.js';
import { firstAnswer } from '../grpc/failover.js';

/** The member waits for the transfer itself; give the call a little longer than that. */
const TRANSFER_SLACK_MS = 2000;

async function transfer(s: Session, target: number): Promise<void> {
  const { endpoints, view } = await changeTargets(s);
  const before = view.leaderId;
  if (before === 0) {
    throw new CliError(ExitCode.Unhealthy, 'the cluster has no leader to transfer leadership from', { hint: 'Wait for an election (see raftctl status), then retry.' });
  }
  const { value } = await firstAnswer(
    endpoints,
    (e) => s.conns.admin<adminv1.TransferLeadershipResponse>(e, (c, md, o, cb) => c.transferLeadership({ targetId: target }, md, o, cb), s.globals.timeoutMs + TRANSFER_SLACK_MS),
    false,
  );
  if (s.globals.json) {
    printJson({ previousLeader: before, leader: value.leaderId, term: value.term });
    return;
  }
  printText(
    value.leaderId === before
      ? `Member ${before} already leads (term ${value.term}).`
      : `Leadership moved from member ${before} to member ${value.leaderId} (term ${value.term}).`,
  );
}

/** Registers `leader`. */
export function registerLeader(program: Command): void {
  const leader = program.command('leader').description('leadership of the cluster');
  const cmd = leader
    .command('transfer')
    .description('hand leadership to a voter (without an id, the leader picks the most up-to-date one)')
    .argument('[id]', 'the voter to lead next', memberId)
    .action((id: number | undefined, _o: unknown, c: Command) => runSession(c, (s) => transfer(s, id ?? 0)));
  withExamples(cmd, ['raftctl leader transfer 2', 'raftctl leader transfer', 'raftctl leader transfer 3 --json']);
  withExamples(leader, ['raftctl leader transfer 2']);
}
