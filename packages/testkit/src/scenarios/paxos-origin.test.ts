/**
 * The scenario of raftkit's origin: a multi-Paxos demo with five acceptors,
 * two of them failed, 1000 proposals, and a message pump that delays and
 * reorders. Here: five voters, all running at first; 1000 proposals
 * submitted through a follower (which forwards them to the leader) over a
 * network that delays and reorders; members 4 and 5 crash before the first
 * proposal, or part-way through, losing what they had not yet written. Every proposal is then in the
 * committed log exactly once, in the same order, on every live member (the
 * log as committed, before any deduplication, so a duplicate would show);
 * the submitting member never led; and 4 and 5 catch up when restarted.
 */
import {
  type AppliedEntry,
  type DeduplicatorState,
  type NodeStateMachine,
  ProposalDeduplicator,
  RaftNode,
  type Snapshot,
  type SnapshotMetadata,
  StateRole,
} from '@raftkit/core';
import { MemoryNodeStorage, VirtualClock } from '@raftkit/core/testing';
import { describe, expect, it } from 'vitest';
import { PERFECT_NETWORK, SimNetwork } from '../sim/network.js';
import { Rng } from '../sim/rng.js';

interface OrderDisk {
  /** Every normal entry's payload in commit order, duplicates included: the committed log. */
  committed: string[];
  /** The proposals applied, after deduplication. */
  order: string[];
  applied: number;
  dedup: ProposalDeduplicator;
}

/** A state machine that records the committed log and the order in which proposals are applied. */
class OrderLog implements NodeStateMachine<number> {
  constructor(
    readonly disk: OrderDisk,
    private readonly storage: MemoryNodeStorage,
  ) {}
  appliedIndex(): number {
    return this.disk.applied;
  }
  apply(entries: AppliedEntry[]): number[] {
    return entries.map((e) => {
      this.disk.applied = e.index;
      if (e.kind !== 'normal') return -1;
      const payload = new TextDecoder().decode(e.payload);
      this.disk.committed.push(payload);
      if (e.proposal && !this.disk.dedup.firstTime(e.proposal, e.index)) return -1;
      this.disk.order.push(payload);
      return this.disk.order.length;
    });
  }
  async createSnapshot(meta: SnapshotMetadata): Promise<void> {
    const body = JSON.stringify({ committed: this.disk.committed, order: this.disk.order, dedup: this.disk.dedup.toState() });
    this.storage.createSnapshot(meta.index, meta.confState, new TextEncoder().encode(body));
  }
  async restoreSnapshot(s: Snapshot): Promise<void> {
    const body =
      s.data.length > 0 ? (JSON.parse(new TextDecoder().decode(s.data)) as { committed: string[]; order: string[]; dedup: DeduplicatorState }) : undefined;
    this.disk.committed = body ? body.committed : [];
    this.disk.order = body ? body.order : [];
    this.disk.dedup = body ? ProposalDeduplicator.fromState(body.dedup) : new ProposalDeduplicator();
    this.disk.applied = s.metadata.index;
  }
}

/** How often each payload occurs in a committed log. */
function occurrences(log: readonly string[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const p of log) n.set(p, (n.get(p) ?? 0) + 1);
  return n;
}

describe('the Paxos scenario of the origin', () => {
  // Members 4 and 5 fail before the first proposal (the origin's two failed
  // acceptors) or part-way through, losing what they had not yet written.
  it.each([
    { when: 'from the start', crashAfter: 0 },
    { when: 'part-way', crashAfter: 300 },
  ])('five voters, two crashed $when: 1000 proposals through a follower are committed once, in one order, everywhere', async ({ crashAfter }) => {
    const clock = new VirtualClock();
    const rng = new Rng(1000);
    const network = new SimNetwork(clock, rng);
    // A message pump that delays and reorders: every message waits 1-40 ms, some far longer.
    network.conditions = { ...PERFECT_NETWORK, baseDelayMs: 1, jitterMeanMs: 8, longDelayRate: 0.05, longDelayMs: 150 };
    const ids = [1, 2, 3, 4, 5];
    // The member the proposals go through. Its election timeout is long, so
    // that the others win elections first: it is meant to stay a follower.
    const SUBMITTER = 3;
    const members = new Map<number, { storage: MemoryNodeStorage; sm: OrderLog; node: RaftNode<number> }>();
    const snapshotsInstalled = new Map<number, number>();
    let submitterLed = false;
    const start = (id: number) => {
      const storage = storages.get(id)!;
      const sm = new OrderLog(disks.get(id)!, storage);
      const node = new RaftNode<number>({
        raft: { id, electionTick: id === SUBMITTER ? 60 : 20, heartbeatTick: 2, random: () => rng.float(), logTailAfterSnapshot: 100 },
        storage,
        stateMachine: sm,
        transport: { send: (msgs) => network.send(msgs) },
        clock,
        tickMs: 10,
        snapshotInterval: 300,
        requestTimeoutMs: 60_000,
        onEvent: (e) => {
          if (e.type === 'role' && id === SUBMITTER && e.role === StateRole.Leader) submitterLed = true;
          if (e.type === 'snapshot-installed') snapshotsInstalled.set(id, (snapshotsInstalled.get(id) ?? 0) + 1);
        },
      });
      network.attach(id, (m) => node.receive([m]));
      members.set(id, { storage, sm, node });
      node.start();
    };
    const crash = (id: number) => {
      const m = members.get(id)!;
      m.storage.crash();
      m.node.halt();
      network.detach(id);
    };
    // Writes take a little time, so a crash loses what was in flight.
    const storages = new Map(
      ids.map((id) => {
        const s = MemoryNodeStorage.founding(ids, [], clock);
        s.latency = () => 0.2 + rng.exponential(1);
        return [id, s];
      }),
    );
    const disks = new Map(ids.map((id): [number, OrderDisk] => [id, { committed: [], order: [], applied: 0, dedup: new ProposalDeduplicator() }]));
    for (const id of ids) start(id);

    const leader = () => [...members.entries()].find(([, m]) => m.node.raw.raft.state === StateRole.Leader)?.[0];
    expect(await clock.runUntilTrue(() => leader() !== undefined, 10_000)).toBe(true);
    const submitter = members.get(SUBMITTER)!;
    expect(await clock.runUntilTrue(() => submitter.node.raw.raft.lead !== 0, 10_000)).toBe(true);

    const proposals = Array.from({ length: 1000 }, (_, i) => `proposal-${i}`);
    let settled = 0;
    const submit = (): void =>
      // Submitted as a stream, one every 2 ms, as the origin's pump did.
      proposals.forEach((p, i) =>
        clock.setTimer(i * 2, () => {
          void submitter.node.propose(new TextEncoder().encode(p)).then(() => settled++);
        }),
      );
    if (crashAfter === 0) {
      // Members 4 and 5 fail (whichever leads) before the first proposal.
      crash(4);
      crash(5);
      submit();
    } else {
      // Part-way through, members 4 and 5 fail (whichever leads): the other three carry on.
      submit();
      expect(await clock.runUntilTrue(() => settled >= crashAfter, 120_000)).toBe(true);
      expect(settled).toBeLessThan(1000);
      crash(4);
      crash(5);
    }
    // What they kept: part of the log (writes in flight are lost).
    const kept = [4, 5].map((id) => storages.get(id)!.lastIndex());
    expect(await clock.runUntilTrue(() => settled === 1000, 120_000)).toBe(true);
    await clock.advance(500);

    // Every proposal exactly once in the committed log (duplicates counted,
    // not filtered), in the same order, on every live member.
    const reference = members.get(1)!.sm.disk.committed;
    expect(reference.length).toBe(1000);
    expect([...occurrences(reference).values()].every((n) => n === 1)).toBe(true);
    expect([...reference].sort()).toEqual([...proposals].sort());
    for (const id of [2, 3]) expect(members.get(id)!.sm.disk.committed).toEqual(reference);
    // Forwarded, never handled as leader, from start to end.
    expect(submitterLed).toBe(false);
    expect(submitter.node.raw.raft.state).toBe(StateRole.Follower);

    // The failed members come back and catch up (by snapshot, then log).
    const end = members.get(1)!.node.raw.raft.raftLog.lastIndex();
    for (const k of kept) {
      // At least the bootstrap entries and the first leader's no-op.
      expect(k).toBeGreaterThan(crashAfter === 0 ? 0 : 2);
      expect(k).toBeLessThan(end);
    }
    for (const id of [4, 5]) start(id);
    expect(await clock.runUntilTrue(() => [4, 5].every((id) => members.get(id)!.sm.disk.committed.length === 1000), 60_000)).toBe(true);
    for (const id of [4, 5]) {
      expect(members.get(id)!.sm.disk.committed).toEqual(reference);
      expect(members.get(id)!.sm.disk.order).toEqual(reference);
    }
    // The live members had compacted their logs, so the restarted ones caught up from a snapshot first.
    expect(snapshotsInstalled.get(4) ?? 0).toBeGreaterThan(0);
    expect(snapshotsInstalled.get(5) ?? 0).toBeGreaterThan(0);
    for (const m of members.values()) m.node.halt();
  }, 120_000);
});
