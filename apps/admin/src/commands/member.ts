/** `raftctl member list | add | remove | promote | update`: the cluster's membership. */
import { status } from '@grpc/grpc-js';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { adminv1 } from '@raftkit/proto';
import { CliError } from '../cli/errors.js';
import { withExamples } from '../cli/help.js';
import { memberId } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { changeTargets } from '../cluster/targets.js';
import { type Column, renderTable } from '../format/table.js';
import type { Invoke } from '../grpc/connections.js';
import { parseEndpoint } from '../grpc/endpoints.js';
import { firstAnswer } from '../grpc/failover.js';
import { isServiceError } from '../grpc/rpc-errors.js';

const MEMBER_COLUMNS: Column<adminv1.Member>[] = [
  { header: 'ID', cell: (m) => String(m.id), right: true },
  { header: 'NAME', cell: (m) => m.name || '-' },
  { header: 'PEER ADDRESS', cell: (m) => m.peerAddress || '-' },
  { header: 'CLIENT ADDRESS', cell: (m) => m.clientAddress || '-' },
  { header: 'LEARNER', cell: (m) => (m.isLearner ? 'yes' : 'no') },
];

/** The member table. */
export function renderMembers(members: readonly adminv1.Member[]): string {
  return renderTable(MEMBER_COLUMNS, [...members].sort((a, b) => a.id - b.id));
}

/**
 * The server flags that start a member just added, so that it joins the
 * running cluster: its id, every member's peer address, and state
 * `existing` (it learns the data from the leader).
 */
export function startFlags(added: adminv1.Member, members: readonly adminv1.Member[]): string[] {
  const all = [...members].sort((a, b) => a.id - b.id).map((m) => `${m.id}=${m.peerAddress}`);
  return [
    '--id', String(added.id),
    '--initial-cluster', all.join(','),
    '--initial-cluster-state', 'existing',
    '--listen-peer-urls', added.peerAddress,
    ...(added.clientAddress ? ['--listen-client-urls', added.clientAddress] : []),
  ];
}

function hostPort(flag: string): (text: string) => string {
  return (text) => {
    // The same rules as --endpoints, so a mistake is caught before the cluster records it.
    try {
      return parseEndpoint(text).address;
    } catch {
      throw new InvalidArgumentError(`${flag} must be host:port, not '${text}'.`);
    }
  };
}

async function list(s: Session, local: boolean): Promise<void> {
  const { value } = await firstAnswer(
    s.globals.endpoints,
    (e) => s.conns.admin<adminv1.ListMembersResponse>(e, (c, md, o, cb) => c.listMembers({ linearizable: !local }, md, o, cb)),
    true,
  );
  if (s.globals.json) printJson({ clusterId: value.clusterId, members: value.members });
  else printText(renderMembers(value.members));
}

interface AddOptions {
  peer: string;
  client?: string;
  name?: string;
  learner?: boolean;
}

/**
 * What `member add` says when the id was removed from the cluster before:
 * the member answers with etcd's bare "member not found" (NOT_FOUND), which
 * reads like the opposite of the problem; say what it means and what to do.
 */
export function explainAddError(e: unknown, id: number): unknown {
  if (!(e instanceof CliError)) return e;
  const cause = e.cause;
  if (!isServiceError(cause) || cause.code !== status.NOT_FOUND || cause.details !== 'etcdserver: member not found') return e;
  return new CliError(e.exitCode, `member ${id} was removed from the cluster, and a removed member's id cannot be used again`, {
    ...(e.endpoint !== undefined ? { endpoint: e.endpoint } : {}),
    hint: 'Add it under a new id, and start it with an empty data directory.',
    cause,
  });
}

async function add(s: Session, id: number, o: AddOptions): Promise<void> {
  const { endpoints, view } = await changeTargets(s);
  const req: adminv1.AddMemberRequest = { id, name: o.name ?? '', peerAddress: o.peer, clientAddress: o.client ?? '', asLearner: o.learner === true };
  const { value } = await firstAnswer(endpoints, (e) => s.conns.admin<adminv1.AddMemberResponse>(e, (c, md, o2, cb) => c.addMember(req, md, o2, cb)), false).catch((e: unknown) => {
    throw explainAddError(e, id);
  });
  const added = value.member ?? { id, name: req.name, peerAddress: req.peerAddress, clientAddress: req.clientAddress, isLearner: req.asLearner };
  const flags = startFlags(added, value.members);
  if (s.globals.json) {
    printJson({ clusterId: view.clusterId ?? null, member: added, members: value.members, startFlags: flags });
    return;
  }
  printText(
    [
      `Added member ${id}${o.name ? ` (${o.name})` : ''} to cluster ${view.clusterId ?? '?'} as a ${added.isLearner ? 'learner' : 'voter'}.`,
      '',
      'Start it, with an empty data directory and the same --initial-cluster-token as the others, with:',
      `  raftkit-node ${flags.join(' ')}`,
      '',
      added.isLearner ? `Once it has caught up (see raftctl status), make it a voter: raftctl member promote ${id}` : 'Until it runs, a majority of the new membership must be up for the cluster to make progress.',
    ].join('\n'),
  );
}

async function change<Res extends { members: adminv1.Member[] }>(s: Session, call: Invoke<adminv1.AdminClient, Res>, done: string): Promise<void> {
  const { endpoints } = await changeTargets(s);
  const { value } = await firstAnswer(endpoints, (e) => s.conns.admin<Res>(e, call), false);
  if (s.globals.json) printJson({ members: value.members });
  else printText(done);
}

/** Registers `member` and its subcommands. */
export function registerMember(program: Command): void {
  const member = program.command('member').description('list and change the members of the cluster');
  withExamples(member, ['raftctl member list', 'raftctl member add 4 --peer 10.0.0.4:2380 --client 10.0.0.4:2379 --learner', 'raftctl member promote 4', 'raftctl member remove 4']);

  const listCmd = member
    .command('list')
    .description('list the members: id, name, peer and client address, learner')
    .option('--local', "answer from the endpoint's own view instead of a linearizable read (works without a leader)")
    .action((o: { local?: boolean }, c: Command) => runSession(c, (s) => list(s, o.local === true)));
  withExamples(listCmd, ['raftctl member list', 'raftctl member list --json', 'raftctl member list --local']);

  const addCmd = member
    .command('add')
    .description('add a member, then print the flags to start it with')
    .argument('<id>', 'the new member id (a positive integer never used before: a removed member\'s id is refused)', memberId)
    .addOption(new Option('--peer <host:port>', 'where the other members reach it').argParser(hostPort('--peer')).makeOptionMandatory())
    .addOption(new Option('--client <host:port>', 'where clients reach it').argParser(hostPort('--client')))
    .option('--name <name>', 'a name for people')
    .option('--learner', 'add it as a learner (no vote until promoted): the safe way to grow a cluster')
    .action((id: number, o: AddOptions, c: Command) => runSession(c, (s) => add(s, id, o)));
  withExamples(addCmd, ['raftctl member add 4 --peer 10.0.0.4:2380 --client 10.0.0.4:2379 --learner', 'raftctl member add 4 --peer 127.0.0.1:2410 --name m4 --json']);

  const removeCmd = member
    .command('remove')
    .description('remove a member from the cluster')
    .argument('<id>', 'the member to remove', memberId)
    .action((id: number, _o: unknown, c: Command) =>
      runSession(c, (s) => change<adminv1.RemoveMemberResponse>(s, (cl, md, o, cb) => cl.removeMember({ id }, md, o, cb), `Removed member ${id} from the cluster.`)),
    );
  withExamples(removeCmd, ['raftctl member remove 4']);

  const promoteCmd = member
    .command('promote')
    .description('make a learner a voter (it must have caught up with the leader)')
    .argument('<id>', 'the learner to promote', memberId)
    .action((id: number, _o: unknown, c: Command) =>
      runSession(c, (s) => change<adminv1.PromoteMemberResponse>(s, (cl, md, o, cb) => cl.promoteMember({ id }, md, o, cb), `Promoted member ${id} to a voter.`)),
    );
  withExamples(promoteCmd, ['raftctl member promote 4']);

  const updateCmd = member
    .command('update')
    .description("change a member's name or addresses (unset flags stay as they are)")
    .argument('<id>', 'the member to update', memberId)
    .addOption(new Option('--peer <host:port>', 'its new peer address').argParser(hostPort('--peer')))
    .addOption(new Option('--client <host:port>', 'its new client address').argParser(hostPort('--client')))
    .option('--name <name>', 'its new name')
    .action((id: number, o: { peer?: string; client?: string; name?: string }, c: Command) =>
      runSession(c, (s) => {
        const req: adminv1.UpdateMemberRequest = { id, peerAddress: o.peer, clientAddress: o.client, name: o.name };
        return change<adminv1.UpdateMemberResponse>(s, (cl, md, op, cb) => cl.updateMember(req, md, op, cb), `Updated member ${id}.`);
      }),
    );
  withExamples(updateCmd, ['raftctl member update 2 --client 10.0.0.2:2379', 'raftctl member update 2 --name beta']);
}
