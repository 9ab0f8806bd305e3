/**
 * The simulator in CI: a fixed, diverse set of seeds (the long runs are
 * `pnpm sim --seeds N`, see docs/testing.md), determinism, and proof that
 * the checks catch broken rules.
 */
import { describe, expect, it } from 'vitest';
import { BREAKABLE_RULES } from './break-rules.js';
import type { KvInput } from '../linearizability/kv-model.js';
import { MEMBERSHIP_ACTIONS, PARTITION_SHAPES } from './faults.js';
import { kvApplication } from './kv-application.js';
import { optionsFromReplayCommand } from './replay.js';
import { ALL_FAULTS, type FaultKind, type SimulationOptions, replayCommand, runSimulation } from './simulation.js';

/** Seeds with every fault kind in CI (the long runs are `pnpm sim --seeds N`). */
const CI_SEEDS = 200;
/** Seeds per fault subset in CI. */
const SUBSET_SEEDS = 16;

function expectPass(r: Awaited<ReturnType<typeof runSimulation>>): void {
  if (!r.ok) throw new Error(`seed ${r.seed} failed (${r.violation!.kind}): ${r.violation!.message}\nreplay: ${r.replay}\n${r.trace.slice(-30).join('\n')}`);
}

describe('simulator', () => {
  it(`passes ${CI_SEEDS} seeds with every fault kind, and every fault acts`, async () => {
    let ops = 0;
    let elections = 0;
    let late = 0;
    let longest = 0;
    const faults: Record<string, number> = {};
    const variants: Record<string, number> = {};
    const add = (into: Record<string, number>, from: Record<string, number>) => {
      for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
    };
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const r = await runSimulation({ seed });
      expectPass(r);
      ops += r.stats.ok;
      elections += r.stats.elections;
      late += r.stats.messages.late;
      longest = Math.max(longest, r.stats.messages.maxDelayMs);
      add(faults, r.stats.faults);
      add(variants, r.stats.faultVariants);
    }
    // The runs must do real work, not pass vacuously...
    expect(ops).toBeGreaterThan(CI_SEEDS * 50);
    expect(elections).toBeGreaterThan(CI_SEEDS * 2);
    // ...and every fault must have acted, in every shape (counted when it
    // took effect, not when it was scheduled).
    for (const f of ALL_FAULTS) expect(faults[f] ?? 0, f).toBeGreaterThan(0);
    for (const shape of PARTITION_SHAPES) expect(variants[`partition:${shape}`] ?? 0, shape).toBeGreaterThan(0);
    for (const action of MEMBERSHIP_ACTIONS) expect(variants[`membership:${action}`] ?? 0, action).toBeGreaterThan(0);
    for (const v of ['snapshot:taken', 'snapshot:installed', 'transfer:completed', 'crash:leader', 'membership:leader-change-mid-joint']) expect(variants[v] ?? 0, v).toBeGreaterThan(0);
    // The heavy tail of delays must reach past elections: messages of old terms arrive late.
    expect(late).toBeGreaterThan(CI_SEEDS);
    expect(longest).toBeGreaterThan(300);
    for (const v of ['isolate-new-leader', 'crash-new-leader', 'stall-new-leader', 'isolate-on-commit', 'figure-8']) expect(variants[`leader-churn:${v}`] ?? 0, v).toBeGreaterThan(0);
  }, 600_000);

  const subsets: FaultKind[][] = [
    ['partition', 'delay'],
    ['crash', 'slow-disk', 'snapshot'],
    ['membership', 'snapshot', 'loss'],
    ['transfer', 'duplicate', 'skew'],
    ['leader-churn', 'loss', 'delay'],
    ['membership', 'crash', 'transfer', 'delay', 'leader-churn'],
  ];
  for (const faults of subsets) {
    it(`passes seeds with faults ${faults.join(', ')}`, async () => {
      for (let seed = 1000; seed < 1000 + SUBSET_SEEDS; seed++) expectPass(await runSimulation({ seed, faults, members: seed % 2 === 0 ? 3 : 5 }));
    }, 300_000);
  }

  it('replays a seed exactly: same seed, same run, event for event', async () => {
    const a = await runSimulation({ seed: 4242, trace: 'messages' });
    const b = await runSimulation({ seed: 4242, trace: 'messages' });
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toEqual(a.trace);
    expect(b.stats).toEqual(a.stats);
    // The client history too, attempt for attempt; and the trace shows it.
    expect(a.history.length).toBeGreaterThan(100);
    expect(b.history).toEqual(a.history);
    expect(a.trace.filter((l) => / client \d+ #\d+ invoke /.test(l)).length).toBeGreaterThan(100);
    expect(a.trace.filter((l) => / client \d+ #\d+ (ok|failed|unknown)/.test(l)).length).toBeGreaterThan(100);
    const c = await runSimulation({ seed: 4243, trace: 'messages' });
    expect(c.trace).not.toEqual(a.trace);
  }, 60_000);

  it('retries like a real client: a retried write is a new proposal, applied once per attempt', async () => {
    let reapplied = 0;
    let retried = 0;
    for (let seed = 1; seed <= 10; seed++) {
      // Record what the members apply: each write's value and the proposal that carried it.
      const base = kvApplication();
      const applied = new Map<number, { value: string; proposal: string }>();
      const app: typeof base = {
        ...base,
        createStateMachine: (disk, storage, options) => {
          const sm = base.createStateMachine(disk, storage, options);
          const apply = sm.apply.bind(sm);
          sm.apply = (entries) => {
            for (const e of entries) {
              const op = e.kind === 'normal' && e.proposal ? (JSON.parse(new TextDecoder().decode(e.payload)) as KvInput) : undefined;
              if (op?.op === 'write') applied.set(e.index, { value: op.value, proposal: `${e.proposal!.member}/${e.proposal!.epoch}/${e.proposal!.seq}` });
            }
            return apply(entries);
          };
          return sm;
        },
      };
      const r = await runSimulation({ seed, app });
      expectPass(r);
      const proposalsPerValue = new Map<string, Set<string>>();
      for (const { value, proposal } of applied.values()) proposalsPerValue.set(value, (proposalsPerValue.get(value) ?? new Set()).add(proposal));
      // Write values are unique per operation: one applied by two proposals is
      // an attempt whose outcome was unknown taking effect, and its retry too.
      reapplied += [...proposalsPerValue.values()].filter((ps) => ps.size > 1).length;
      // Retried attempts are in the history as operations of their own.
      const attempts = new Map<string, number>();
      for (const op of r.history) {
        const key = JSON.stringify([op.client, op.input]);
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
      }
      retried += [...attempts.values()].filter((n) => n > 1).length;
    }
    expect(retried).toBeGreaterThan(10);
    expect(reapplied).toBeGreaterThan(0);
  }, 120_000);

  it('never re-adds a removed member id with empty storage (pinned seed)', async () => {
    // With a removed member re-added under its id with empty storage, this
    // seed fails leader completeness: member 3 is replaced and
    // decommissioned, comes back blank under id 3, and grants its vote to a
    // member whose snapshot predates the change (so whose voter list still
    // names 3), which then leads without committed entry 51. A removed
    // member now comes back with the storage it kept; a blank one gets a
    // new id. (Seed 66 showed it first; if the seed's draws change, find
    // another by making addLearner start re-added members on new storage.)
    expectPass(await runSimulation({ seed: 893, faults: ['membership', 'crash', 'transfer', 'delay', 'leader-churn'] }));
  }, 60_000);

  it('accepts a leader that takes office late in an old term (pinned seed)', async () => {
    // Member 5 won term 13 while its disk was slow, so it counted its own
    // vote (and led) only once that was durable, after the others had moved
    // on to term 14 and committed entry 71. Leader completeness is owed to
    // leaders of later terms only; the check once demanded it of 5.
    expectPass(await runSimulation({ seed: 5974 }));
  }, 60_000);

  it('prints the command that replays a run, with every option that is not the default', () => {
    expect(replayCommand({ seed: 7 })).toBe('pnpm sim --seed 7 --trace sim-trace-7.txt');
    expect(replayCommand({ seed: 7, faults: [...ALL_FAULTS], durationMs: 3000 })).toBe('pnpm sim --seed 7 --trace sim-trace-7.txt');
    expect(
      replayCommand({
        seed: 7,
        faults: ['crash', 'partition'],
        members: 5,
        durationMs: 2000,
        clients: 6,
        tickMs: 5,
        livenessMs: 8000,
        faultEveryMs: 100,
        breakRule: 'double-vote',
        network: { lossRate: 0.1 },
        raft: { preVote: false, maxInflightMsgs: 4 },
      }),
    ).toBe(
      'pnpm sim --seed 7 --faults crash,partition --members 5 --duration 2000 --clients 6 --tick 5 --liveness 8000 --fault-every 100 ' +
        '--break double-vote --network lossRate=0.1 --raft preVote=false,maxInflightMsgs=4 --trace sim-trace-7.txt',
    );
  });

  it('runs the same run again from the printed command, event for event', async () => {
    const runs: Array<SimulationOptions<unknown, unknown, unknown>> = [
      // A CI fault-subset run with its size given...
      { seed: 1001, faults: ['membership', 'snapshot', 'loss'], members: 5 },
      // ...and a failing one with a broken rule and more options set.
      { seed: 1, breakRule: 'double-vote', durationMs: 2000, clients: 3, faultEveryMs: 200, raft: { maxInflightMsgs: 8 } },
    ];
    for (const options of runs) {
      const a = await runSimulation({ ...options, trace: 'messages' });
      const replayed = optionsFromReplayCommand(a.replay);
      expect(replayed).toEqual({ faults: options.faults ?? [...ALL_FAULTS], ...options });
      const b = await runSimulation({ ...replayed, trace: 'messages' });
      expect(b.trace.length).toBeGreaterThan(500);
      expect(b.trace).toEqual(a.trace);
      expect(b.history).toEqual(a.history);
      expect(b.ok).toBe(a.ok);
      expect(b.violation).toEqual(a.violation);
      expect(b.replay).toBe(a.replay);
    }
    // The second one is a failure, which is what replay commands are for.
  }, 60_000);
});

describe('the simulator bites', () => {
  const expected: Record<string, RegExp> = {
    'double-vote': /one vote per term|election safety/,
    'vote-without-log-check': /leader completeness|committed entries never change|state machine safety|member failure|linearizability/,
    'ack-before-persist': /committed entries exist on a quorum|committed entries never change|member failure|state machine safety|linearizability|leader completeness/,
    'stale-follower-reads': /linearizability/,
    'figure-8': /leader completeness|committed entries never change|state machine safety|linearizability/,
  };
  // The faults that expose each broken rule (by default, all of them). An
  // early acknowledgement only hurts when a member crashes before its slow
  // disk catches up, so that rule is hunted with those faults (with every
  // fault kind it is caught too, in about half the seeds).
  const faultsFor: Partial<Record<string, FaultKind[]>> = { 'ack-before-persist': ['crash', 'slow-disk', 'delay'] };
  for (const rule of BREAKABLE_RULES) {
    it(`reports a violation within 80 seeds when ${rule}`, async () => {
      const faults = faultsFor[rule];
      for (let seed = 1; seed <= 80; seed++) {
        const r = await runSimulation({ seed, breakRule: rule, ...(faults ? { faults } : {}) });
        if (r.ok) continue;
        expect(`${r.violation!.kind}: ${r.violation!.message}`).toMatch(expected[rule]!);
        expect(r.trace.length).toBeGreaterThan(0);
        expect(r.replay).toContain(`--seed ${seed}`);
        if (faults) expect(r.replay).toContain(`--faults ${faults.join(',')}`);
        return;
      }
      throw new Error(`breaking ${rule} went unnoticed for 80 seeds`);
    }, 300_000);
  }

  it('catches an early acknowledgement in most seeds, where it is made: committed entries must be on a quorum', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = await runSimulation({ seed, breakRule: 'ack-before-persist', faults: ['crash', 'slow-disk', 'delay'] });
      if (r.violation?.kind === 'committed entries exist on a quorum') caught++;
    }
    // All 20 today (182 of the first 200: the rest fail otherwise, or pass).
    expect(caught).toBeGreaterThanOrEqual(12);
  }, 120_000);
});
