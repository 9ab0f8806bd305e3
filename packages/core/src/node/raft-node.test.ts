import { describe, expect, it } from 'vitest';
import { ConfChangeTransition, ConfChangeType } from '../confchange/types.js';
import { ProposalDroppedError } from '../errors.js';
import { NodeCluster } from '../test-support/node-cluster.js';
import { MessageType } from '../types.js';
import { RaftNodeError } from './raft-node.js';
import { decodeProposal, encodeProposal } from './proposal-codec.js';

describe('RaftNode', () => {
  it('elects a leader, replicates proposals from any member and returns their results', async () => {
    const c = new NodeCluster([1, 2, 3]);
    c.startAll();
    const leader = await c.waitForLeader();
    expect(await c.settle(c.put(leader.id, 'x', '1'))).toBeNull();
    const follower = [1, 2, 3].find((id) => id !== leader.id)!;
    expect(await c.settle(c.put(follower, 'x', '2'))).toBe('1');
    await c.clock.advance(100);
    for (const m of c.members.values()) expect(m.disk.data.get('x')).toBe('2');
  });

  it('batches concurrent proposals into few durable writes and reads into few ReadIndex rounds', async () => {
    const c = new NodeCluster([1, 2, 3], { diskLatencyMs: 2 });
    c.startAll();
    const leader = await c.waitForLeader();
    const before = leader.events.filter((e) => e.type === 'persisted').length;
    const writes = Array.from({ length: 200 }, (_, i) => c.put(leader.id, `k${i}`, 'v'));
    await c.settle(Promise.all(writes));
    const persists = leader.events.filter((e) => e.type === 'persisted').length - before;
    expect(persists).toBeLessThan(20);
    const readsBefore = c.sent.filter((m) => m.type === MessageType.ReadIndex).length;
    const follower = [...c.members.values()].find((m) => m !== leader)!;
    await c.settle(Promise.all(Array.from({ length: 100 }, () => follower.node.read())));
    const rounds = c.sent.filter((m) => m.type === MessageType.ReadIndex).length - readsBefore;
    expect(rounds).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(10);
    expect(follower.disk.data.size).toBe(200);
  });

  it('a read waits for everything committed before it to be applied locally', async () => {
    const c = new NodeCluster([1, 2, 3]);
    c.startAll();
    const leader = await c.waitForLeader();
    const follower = [...c.members.values()].find((m) => m !== leader)!;
    await c.settle(c.put(leader.id, 'a', '1'));
    const read = follower.node.read().then(() => follower.disk.data.get('a'));
    expect(await c.settle(read)).toBe('1');
  });

  it('times out when no quorum can be reached, with an explicit unknown outcome', async () => {
    const c = new NodeCluster([1, 2, 3], { requestTimeoutMs: 500 });
    c.startAll();
    const leader = await c.waitForLeader();
    for (const m of c.members.values()) if (m !== leader) c.crash(m.id);
    const err = await c.settle(c.put(leader.id, 'x', '1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RaftNodeError);
    expect((err as RaftNodeError).reason).toBe('timeout');
    expect((err as Error).message).toMatch(/outcome is unknown/);
  });

  it('applies a proposal once even when the network duplicates its forwarding', async () => {
    const c = new NodeCluster([1, 2, 3]);
    c.duplicate.add(MessageType.Prop);
    c.startAll();
    const leader = await c.waitForLeader();
    const follower = [...c.members.values()].find((m) => m !== leader)!;
    await c.settle(follower.node.waitForLeader());
    await c.settle(Promise.all(Array.from({ length: 30 }, (_, i) => c.put(follower.id, `d${i}`, 'v'))));
    await c.clock.advance(100);
    expect(c.sent.filter((m) => m.type === MessageType.Prop).length).toBeGreaterThan(0);
    // The leader appended duplicates, but every member applied each write once.
    const appendedTwice = leader.sm.appliedEntries.filter((e) => e.kind === 'normal').length;
    expect(appendedTwice).toBeGreaterThan(30);
    for (const m of c.members.values()) for (let i = 0; i < 30; i++) expect(m.disk.writes.get(`d${i}`)).toBe(1);
  });

  it('rejects at once when no leader is known', async () => {
    const c = new NodeCluster([1, 2, 3]);
    const err = await c.put(1, 'x', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalDroppedError);
    const readErr = await c.member(1).node.read().catch((e: unknown) => e);
    expect(readErr).toBeInstanceOf(ProposalDroppedError);
  });

  it('acknowledged writes survive crashes of any member, including mid-persist', async () => {
    const c = new NodeCluster([1, 2, 3], { diskLatencyMs: 3 });
    c.startAll();
    let leader = await c.waitForLeader();
    const acked: string[] = [];
    const write = (k: string) => c.put(leader.id, k, 'v').then(() => acked.push(k), () => undefined);
    for (let round = 0; round < 6; round++) {
      const ps = Array.from({ length: 20 }, (_, i) => write(`r${round}-${i}`));
      // Crash the leader at a different point of the write pipeline each round.
      await c.clock.advance(1 + round * 4);
      c.crash(leader.id);
      await c.settle(Promise.all(ps), 5000);
      c.restart(leader.id);
      leader = await c.waitForLeader();
    }
    await c.settle(Promise.all(Array.from({ length: 20 }, (_, i) => write(`final-${i}`))));
    await c.clock.advance(500);
    expect(acked.length).toBeGreaterThan(20);
    for (const m of c.members.values()) for (const k of acked) expect(m.disk.data.has(k), `${k} on ${m.id}`).toBe(true);
    // Nothing applied twice: applied indexes strictly increase on every member.
    for (const m of c.members.values()) {
      const idx = m.sm.appliedEntries.map((e) => e.index);
      for (let i = 1; i < idx.length; i++) expect(idx[i]).toBe(idx[i - 1]! + 1);
    }
  });

  it('snapshots every N entries, compacts, and catches a restarted member up from the snapshot', async () => {
    const c = new NodeCluster([1, 2, 3], { snapshotInterval: 20 });
    c.startAll();
    const leader = await c.waitForLeader();
    const lagging = [...c.members.values()].find((m) => m !== leader)!;
    c.crash(lagging.id);
    for (let i = 0; i < 60; i++) await c.settle(c.put(leader.id, `k${i}`, String(i)));
    await c.clock.advance(100);
    expect(leader.events.some((e) => e.type === 'snapshot')).toBe(true);
    expect(leader.storage.snapshot().metadata.index).toBeGreaterThan(20);
    c.restart(lagging.id);
    await c.clock.advance(1000);
    const restarted = c.member(lagging.id);
    expect(restarted.disk.data.size).toBe(60);
    expect(restarted.disk.data.get('k59')).toBe('59');
  });

  it('with on-demand snapshots, compacts without snapshotting and snapshots only for a member that needs one', async () => {
    const c = new NodeCluster([1, 2, 3], { snapshotInterval: 20, onDemandSnapshots: true, logTailAfterSnapshot: 5 });
    c.startAll();
    const leader = await c.waitForLeader();
    const lagging = [...c.members.values()].find((m) => m !== leader)!;
    c.crash(lagging.id);
    for (let i = 0; i < 60; i++) await c.settle(c.put(leader.id, `k${i}`, String(i)));
    await c.clock.advance(100);
    // Compacted every 20 entries, and no copy of the state was made for it.
    expect(leader.storage.firstIndex()).toBeGreaterThan(40);
    expect(leader.events.filter((e) => e.type === 'snapshot')).toHaveLength(0);
    c.restart(lagging.id);
    await c.clock.advance(1000);
    const restarted = c.member(lagging.id);
    expect(restarted.disk.data.size).toBe(60);
    expect(restarted.disk.data.get('k59')).toBe('59');
    expect(restarted.events.some((e) => e.type === 'snapshot-installed')).toBe(true);
    // One snapshot, built when the member needed it.
    expect(leader.events.filter((e) => e.type === 'snapshot')).toHaveLength(1);
    expect(c.sent.filter((m) => m.type === MessageType.Snap && m.to === lagging.id)).toHaveLength(1);
  });

  it('changes membership and transfers leadership through promises', async () => {
    const c = new NodeCluster([1, 2, 3]);
    c.startAll();
    const leader = await c.waitForLeader();
    const cs = await c.settle(
      leader.node.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.AddLearner, nodeId: 9 }], context: new TextEncoder().encode('meta') }),
    );
    expect(cs.learners).toEqual([9]);
    const applied = leader.sm.appliedEntries.find((e) => e.kind === 'conf-change')!;
    expect(new TextDecoder().decode(applied.confChange!.context)).toBe('meta');
    const target = [1, 2, 3].find((id) => id !== leader.id)!;
    await c.settle(leader.node.transferLeadership(target));
    expect(c.leader()?.id).toBe(target);
    await expect(c.member(target).node.transferLeadership(9)).rejects.toThrow(/learner/);
  });

  it('refuses new proposals with too-many-requests when too many are pending', async () => {
    const c = new NodeCluster([1, 2, 3], { maxPendingProposals: 5 });
    c.startAll();
    const leader = await c.waitForLeader();
    for (const m of c.members.values()) if (m !== leader) c.crash(m.id);
    const pending = Array.from({ length: 5 }, () => c.put(leader.id, 'k', 'v').catch(() => undefined));
    const err = await c.put(leader.id, 'k', 'v').catch((e: unknown) => e);
    expect((err as RaftNodeError).reason).toBe('too-many-requests');
    await c.member(leader.id).node.stop();
    await Promise.all(pending);
  });

  it('stops serving after a fatal storage error', async () => {
    const c = new NodeCluster([1]);
    c.startAll();
    const leader = await c.waitForLeader();
    leader.storage.persist = () => Promise.reject(new Error('disk on fire'));
    const err = await c.settle(c.put(leader.id, 'x', '1')).catch((e: unknown) => e);
    expect((err as RaftNodeError).reason).toBe('failed');
    expect(leader.node.failed?.message).toBe('disk on fire');
    expect(leader.node.status().failed).toBe('disk on fire');
    await expect(leader.node.read()).rejects.toThrow(/stopped serving after an unrecoverable error: disk on fire/);
  });
});

describe('proposal envelope', () => {
  it('round-trips and refuses foreign data', () => {
    const id = { member: 2 ** 40, epoch: 7, seq: 99 };
    const wrapped = encodeProposal(id, new Uint8Array([1, 2]));
    expect(decodeProposal(wrapped)).toEqual({ id, payload: new Uint8Array([1, 2]) });
    expect(decodeProposal(new Uint8Array())).toEqual({ id: undefined, payload: new Uint8Array() });
    expect(() => decodeProposal(new Uint8Array([9, 9, 9]))).toThrow(/not a raftkit proposal/);
  });
});
