/** `raftctl check`: do all members hold the same key-value state? */
import type { Command } from 'commander';
import type { adminv1 } from '@raftkit/proto';
import { CliError, usageError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { durationOption } from '../cli/duration.js';
import { withExamples } from '../cli/help.js';
import { intIn } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { type HashSample, HashSamples, type Verdict, divergenceLine } from '../check/compare.js';
import { mixedClustersWarning } from '../cluster/health.js';
import { collectClusterView, reachable } from '../cluster/view.js';
import { allFailed } from '../grpc/failover.js';
import { memberList } from '../format/units.js';

interface CheckFlags {
  attempts: number;
  interval: number;
}

async function check(s: Session, o: CheckFlags): Promise<void> {
  const view = await collectClusterView(s.conns, s.globals.endpoints);
  const mixed = mixedClustersWarning(view);
  if (mixed) throw usageError(mixed.replace(/^Warning: /, ''));
  if (reachable(view).length === 0) throw allFailed(view.members.flatMap((m) => (m.error ? [m.error] : [])));
  const targets = view.members.flatMap((m) => (m.id !== undefined && m.address ? [{ id: m.id, address: m.address, endpoint: s.conns.endpointFor(m.address, s.globals.endpoints) }] : []));
  const lastError = new Map<number, CliError>();
  const samples = new HashSamples();
  let verdict: Verdict | undefined;
  for (let attempt = 1; attempt <= o.attempts && !verdict; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, o.interval));
    await Promise.all(
      targets.map(async (t) => {
        try {
          const h = await s.conns.admin<adminv1.HashResponse>(t.endpoint, (c, md, op, cb) => c.hash({}, md, op, cb));
          samples.add({ id: t.id, address: t.address, appliedIndex: h.appliedIndex, hash: Buffer.from(h.hash).toString('hex'), keyCount: h.keyCount, revision: h.revision });
          lastError.delete(t.id);
        } catch (e) {
          if (e instanceof CliError && !samples.members().includes(t.id)) lastError.set(t.id, e);
          else if (!(e instanceof CliError)) throw e;
        }
      }),
    );
    verdict = samples.compare(samples.members());
  }
  const missing = view.members.filter((m) => m.id === undefined || !samples.members().includes(m.id));
  const missingError = (m: (typeof view.members)[number]) => (m.id !== undefined ? lastError.get(m.id) : undefined) ?? m.error;

  if (s.globals.json) {
    const at = new Map((verdict?.samples ?? []).map((x) => [x.id, x]));
    const divergent = new Set(verdict?.kind === 'diverged' ? verdict.divergent.map((d) => d.sample.id) : []);
    printJson({
      consistent: verdict ? verdict.kind === 'consistent' : null,
      appliedIndex: verdict?.index ?? null,
      members: view.members.map((m) => {
        const x: HashSample | undefined = m.id !== undefined ? at.get(m.id) : undefined;
        return {
          id: m.id ?? null,
          address: m.address ?? null,
          compared: x !== undefined,
          diverges: m.id !== undefined && divergent.has(m.id),
          hash: x?.hash ?? null,
          keyCount: x?.keyCount ?? null,
          revision: x?.revision ?? null,
          error: x ? null : (missingError(m)?.message ?? null),
        };
      }),
    });
  } else if (verdict?.kind === 'consistent') {
    const first = verdict.samples[0]!;
    const who = verdict.samples.length === 1 ? `only ${memberList(verdict.samples.map((x) => x.id))} could be compared` : `${memberList(verdict.samples.map((x) => x.id))} hold the same key-value state`;
    printText(`consistent at applied index ${verdict.index}: ${who} (hash ${first.hash.slice(0, 16)}, ${first.keyCount} keys, revision ${first.revision})`);
  } else if (verdict?.kind === 'diverged') {
    printText(verdict.divergent.map(divergenceLine).join('\n'));
  }
  if (!s.globals.json) for (const m of missing) printText(`member ${m.id ?? '?'} (${m.address ?? 'no client address known'}): not compared: ${missingError(m)?.message ?? 'no answer'}`);

  if (verdict?.kind === 'diverged') {
    throw new CliError(ExitCode.Unhealthy, `${verdict.divergent.length} of ${verdict.samples.length} members diverge at applied index ${verdict.index}`, {
      hint: 'Stop sending traffic to the diverging members, keep their data for investigation, and replace them (member remove, then add with an empty data directory).',
    });
  }
  if (!verdict) {
    throw new CliError(ExitCode.Unhealthy, `found no applied index shared by every member in ${o.attempts} attempts`, { hint: 'Writes are in flight or a member is lagging; retry when writes pause, or raise --attempts.' });
  }
  if (missing.length > 0) {
    const first = missing.map(missingError).find((e) => e !== undefined);
    throw new CliError(first?.exitCode === ExitCode.Unhealthy ? ExitCode.Unhealthy : ExitCode.Unreachable, `${missing.length} of ${view.members.length} members could not be compared`, {
      hint: 'Start the missing members or fix their addresses (see raftctl status), then check again.',
    });
  }
}

/** Registers `check`. */
export function registerCheck(program: Command): void {
  const cmd = program
    .command('check')
    .description("compare a hash of every member's key-value state at the same applied index")
    .option('--attempts <n>', 'rounds of hashes to take while looking for an index every member has reached', intIn('--attempts', 1, 1000), 10)
    .addOption(durationOption('--interval <duration>', 'time between two rounds', 200))
    .addHelpText(
      'after',
      `
Every member (found through the member list) is asked for Admin.Hash. Members are
compared at the highest applied index at which each of them was sampled; while
writes are in flight that takes a few rounds. Prints "consistent at applied index N",
or one line per diverging member and exits 1. Members that cannot be asked exit 3.`,
    )
    .action((o: CheckFlags, c: Command) => runSession(c, (s) => check(s, o)));
  withExamples(cmd, ['raftctl check', 'raftctl check --attempts 50 --interval 100ms', 'raftctl check --json']);
}
