/**
 * The scenario of raftkit's origin: a multi-Paxos demo with five acceptors,
 * two of them failed, 1000 proposals, and a message pump that delays and
 * reorders. Here: five voters, two crashed; 1000 proposals submitted through
 * a follower (which forwards them to the leader) over a network that delays
 * and reorders; every proposal is committed exactly once, in the same order,
 * on every live member; the two crashed members catch up when restarted.
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

/** A state machine that records the order in which proposals are applied. */
class OrderLog implements NodeStateMachine<number> {
  constructor(
    readonly disk: { order: string[]; applied: number; dedup: ProposalDeduplicator },
    private readonly storage: MemoryNodeStorage,
  ) {}
  appliedIndex(): number {
    return this.disk.applied;
  }
  apply(entries: AppliedEntry[]): number[] {
    return entries.map((e) => {
      this.disk.applied = e.index;
      if (e.kind !== 'normal' || (e.proposal && !this.disk.dedup.firstTime(e.proposal, e.index))) return -1;
      this.disk.order.push(new TextDecoder().decode(e.payload));
      return this.disk.order.length;
    });
  }
  async createSnapshot(meta: SnapshotMetadata): Promise<void> {
    const body = JSON.stringify({ order: this.disk.order, dedup: this.disk.dedup.toState() });
    this.storage.createSnapshot(meta.index, meta.confState, new TextEncoder().encode(body));
  }
  async restoreSnapshot(s: Snapshot): Promise<void> {
    const body = s.data.length > 0 ? (JSON.parse(new TextDecoder().decode(s.data)) as { order: string[]; dedup: DeduplicatorState }) : undefined;
    this.disk.order = body ? body.order : [];
    this.disk.dedup = body ? ProposalDeduplicator.fromState(body.dedup) : new ProposalDeduplicator();
    this.disk.applied = s.metadata.index;
  }
}

describe('the Paxos scenario of the origin', () => {
  it('five voters, two crashed: 1000 proposals through a follower are committed once, in one order, everywhere', async () => {
    const clock = new VirtualClock();
    const rng = new Rng(1000);
    const network = new SimNetwork(clock, rng);
    // A message pump that delays and reorders: every message waits 1-40 ms, some far longer.
    network.conditions = { ...PERFECT_NETWORK, baseDelayMs: 1, jitterMeanMs: 8, longDelayRate: 0.05, longDelayMs: 150 };
    const ids = [1, 2, 3, 4, 5];
    const members = new Map<number, { storage: MemoryNodeStorage; sm: OrderLog; node: RaftNode<number> }>();
    const start = (id: number, storage: MemoryNodeStorage, disk: OrderLog['disk']) => {
      const sm = new OrderLog(disk, storage);
      const node = new RaftNode<number>({
        raft: { id, electionTick: 20, heartbeatTick: 2, random: () => rng.float(), logTailAfterSnapshot: 100 },
        storage,
        stateMachine: sm,
        transport: { send: (msgs) => network.send(msgs) },
        clock,
        tickMs: 10,
        snapshotInterval: 300,
        requestTimeoutMs: 60_000,
      });
      network.attach(id, (m) => node.receive([m]));
      members.set(id, { storage, sm, node });
      node.start();
    };
    const disks = new Map(ids.map((id) => [id, { order: [] as string[], applied: 0, dedup: new ProposalDeduplicator() }]));
    const storages = new Map(ids.map((id) => [id, MemoryNodeStorage.founding(ids, [], clock)]));
    // Members 4 and 5 have failed: only 1, 2 and 3 run.
    for (const id of [1, 2, 3]) start(id, storages.get(id)!, disks.get(id)!);
    const leader = async () => {
      await clock.runUntilTrue(() => [...members.values()].some((m) => m.node.raw.raft.state === StateRole.Leader), 10_000);
      return [...members.values()].find((m) => m.node.raw.raft.state === StateRole.Leader)!;
    };
    const l = await leader();
    const follower = [...members.values()].find((m) => m !== l)!;
    await clock.runUntilTrue(() => follower.node.raw.raft.lead !== 0, 10_000);

    const proposals = Array.from({ length: 1000 }, (_, i) => `proposal-${i}`);
    const results = proposals.map((p) => follower.node.propose(new TextEncoder().encode(p)));
    let settled = 0;
    for (const r of results) void r.then(() => settled++);
    expect(await clock.runUntilTrue(() => settled === 1000, 120_000)).toBe(true);
    // Every proposal was forwarded, not handled locally.
    expect(follower.node.raw.raft.state).toBe(StateRole.Follower);

    await clock.advance(500);
    const reference = members.get(1)!.sm.disk.order;
    expect([...reference].sort()).toEqual([...proposals].sort());
    expect(new Set(reference).size).toBe(1000);
    for (const id of [2, 3]) expect(members.get(id)!.sm.disk.order).toEqual(reference);

    // The failed members come back and catch up (by snapshot, then log).
    for (const id of [4, 5]) start(id, storages.get(id)!, disks.get(id)!);
    expect(await clock.runUntilTrue(() => [4, 5].every((id) => members.get(id)!.sm.disk.order.length === 1000), 60_000)).toBe(true);
    for (const id of [4, 5]) expect(members.get(id)!.sm.disk.order).toEqual(reference);
    // The leader had compacted its log, so they caught up from a snapshot first.
    expect(l.storage.firstIndex()).toBeGreaterThan(2);
    for (const m of members.values()) m.node.halt();
  }, 120_000);
});
