/**
 * Linearizable reads: ReadIndex (thesis §6.4) and lease reads (§6.4.1).
 * Scenario 29 of ../shared/SCENARIOS.md.
 */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './errors.js';
import { contextKey } from './read-only.js';
import { TestCluster } from './test-support/cluster.js';
import { drainAll, msg, newNode } from './test-support/single.js';
import { MessageType } from './types.js';

const ctx = (s: string) => new TextEncoder().encode(s);
const readOf = (c: TestCluster, id: number, key: string) =>
  c.member(id).readStates.find((r) => new TextDecoder().decode(r.requestContext) === key);

describe('ReadIndex', () => {
  it('the leader answers at its commit index after a quorum confirms its leadership', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    const beats = c.sentOfType(MessageType.Heartbeat).length;
    c.node(1).readIndex(ctx('r1'));
    c.stabilize();
    const rs = readOf(c, 1, 'r1');
    expect(rs?.index).toBe(c.node(1).raft.raftLog.committed);
    // Confirmation took a heartbeat round carrying the read's context.
    const round = c.sentOfType(MessageType.Heartbeat).slice(beats);
    expect(round.map((m) => new TextDecoder().decode(m.context))).toEqual(['r1', 'r1']);
  });

  it('a follower gets a read index from the leader; reads observe every earlier acknowledged write', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    const committedBefore = c.node(1).raft.raftLog.committed;
    c.node(3).readIndex(ctx('f1'));
    c.stabilize();
    const rs = readOf(c, 3, 'f1');
    expect(rs).toBeDefined();
    expect(rs!.index).toBeGreaterThanOrEqual(committedBefore);
    // Applied has reached the read index, so the follower may serve the read.
    expect(c.node(3).raft.raftLog.applied).toBeGreaterThanOrEqual(rs!.index);
    expect(c.sentOfType(MessageType.ReadIndex)).toHaveLength(1);
    expect(c.sentOfType(MessageType.ReadIndexResp)).toHaveLength(1);
  });

  it('a new leader serves no read until it commits an entry of its own term', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    // 2 wins an election but its no-op cannot commit yet.
    const release = c.drop((m) => m.type === MessageType.AppResp && m.to === 2);
    c.elect(2);
    expect(c.node(2).raft.state).toBe('leader');
    c.node(2).readIndex(ctx('early'));
    c.stabilize();
    expect(readOf(c, 2, 'early')).toBeUndefined();
    release();
    c.tickAll(2);
    const rs = readOf(c, 2, 'early');
    expect(rs).toBeDefined();
    expect(c.node(2).raft.raftLog.termOrZero(rs!.index)).toBe(c.node(2).raft.term);
  });

  it('a partitioned old leader never answers a read, while the majority side does', () => {
    const c = new TestCluster([1, 2, 3], { checkQuorum: true, preVote: true });
    c.elect(1);
    c.propose(1, 'a');
    c.partition([1], [2, 3]);
    c.node(1).readIndex(ctx('stale'));
    c.tickAll(40);
    expect(readOf(c, 1, 'stale')).toBeUndefined();
    const leader = c.leader()!;
    expect(leader).not.toBe(1);
    c.propose(leader, 'b');
    c.node(leader).readIndex(ctx('fresh'));
    c.stabilize();
    expect(readOf(c, leader, 'fresh')).toBeDefined();
    c.heal();
    c.tickAll(5);
    expect(readOf(c, 1, 'stale')).toBeUndefined();
  });

  it('a leader cut off from the majority never answers a read, though a minority keeps acknowledging it (scenario 29, hashicorp VerifyLeader_PartialConnect)', () => {
    // Without CheckQuorum the old leader stays leader in its minority, and
    // 2 acknowledges every heartbeat: only the quorum count keeps it from
    // answering at a commit index the majority has moved past.
    for (const checkQuorum of [false, true]) {
      const c = new TestCluster([1, 2, 3, 4, 5], { checkQuorum, preVote: checkQuorum });
      c.elect(1);
      c.propose(1, 'a');
      c.partition([1, 2], [3, 4, 5]);
      c.node(1).readIndex(ctx('stale'));
      c.stabilize();
      // 2 acknowledged the read's heartbeat round; 2 of 5 is not a quorum.
      const acks = c.sent.filter((m) => m.type === MessageType.HeartbeatResp && m.from === 2 && new TextDecoder().decode(m.context) === 'stale');
      expect(acks.length, `checkQuorum=${checkQuorum}`).toBeGreaterThan(0);
      expect(c.member(1).readStates, `checkQuorum=${checkQuorum}`).toEqual([]);
      // Every later heartbeat carries the pending read and is acknowledged by 2 again.
      for (let i = 0; i < 5; i++) {
        c.tick(1);
        expect(c.member(1).readStates, `checkQuorum=${checkQuorum}`).toEqual([]);
      }
      // Meanwhile the majority elects a leader of its own and moves on.
      for (let i = 0; i < 60; i++) {
        c.tickAll(1);
        expect(c.member(1).readStates, `checkQuorum=${checkQuorum}`).toEqual([]);
      }
      const leader = c.leader()!;
      expect([3, 4, 5]).toContain(leader);
      c.propose(leader, 'b');
      c.node(leader).readIndex(ctx('fresh'));
      c.stabilize();
      expect(readOf(c, leader, 'fresh')?.index).toBe(c.node(leader).raft.raftLog.committed);
      for (let i = 0; i < 10; i++) {
        c.tickAll(1);
        expect(c.member(1).readStates, `checkQuorum=${checkQuorum}`).toEqual([]);
      }
      // Without CheckQuorum the old leader never notices; with it, it steps down.
      if (checkQuorum) expect(c.node(1).raft.state).not.toBe('leader');
      else expect(c.node(1).raft.state).toBe('leader');
      c.heal();
      c.tickAll(10);
      expect(readOf(c, 1, 'stale')).toBeUndefined();
      expect(c.appliedData(1)).toEqual(['a', 'b']);
    }
  });

  it('a single voter answers at once, and a later read confirms every earlier one', () => {
    const one = new TestCluster([1]);
    one.tickAll(25);
    one.node(1).readIndex(ctx('solo'));
    one.stabilize();
    expect(readOf(one, 1, 'solo')).toBeDefined();
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    const hold = c.drop((m) => m.type === MessageType.HeartbeatResp);
    c.node(1).readIndex(ctx('x1'));
    c.node(1).readIndex(ctx('x2'));
    c.stabilize();
    expect(c.member(1).readStates).toHaveLength(0);
    hold();
    c.tick(1, 1);
    expect(c.member(1).readStates.map((r) => new TextDecoder().decode(r.requestContext))).toEqual(['x1', 'x2']);
  });

  it('refuses reads without a leader and beyond the pending-read cap', () => {
    const n = newNode(1, [1, 2, 3]);
    expect(() => n.readIndex(ctx('x'))).toThrow(ProposalDroppedError);
    const c = new TestCluster([1, 2, 3], { extra: { maxPendingReads: 2 } });
    c.elect(1);
    c.drop((m) => m.type === MessageType.HeartbeatResp);
    c.node(1).readIndex(ctx('a'));
    c.node(1).readIndex(ctx('b'));
    expect(() => c.node(1).readIndex(ctx('c'))).toThrow(/too many pending reads \(2\)/);
    expect(contextKey(ctx('ab'))).toBe('ab');
  });
});

describe('lease reads', () => {
  it('answer at once from the commit index, relying on CheckQuorum', () => {
    const c = new TestCluster([1, 2, 3], { checkQuorum: true, extra: { readOnlyOption: 'lease' } });
    c.elect(1);
    c.propose(1, 'a');
    const beats = c.sentOfType(MessageType.Heartbeat).length;
    c.node(1).readIndex(ctx('lease'));
    c.stabilize();
    expect(readOf(c, 1, 'lease')?.index).toBe(c.node(1).raft.raftLog.committed);
    expect(c.sentOfType(MessageType.Heartbeat).length).toBe(beats);
  });

  it('a follower read is forwarded and answered by the leader without a heartbeat round', () => {
    const n = newNode(1, [1, 2], { checkQuorum: true, readOnlyOption: 'lease' });
    n.campaign();
    drainAll(n);
    n.step(msg({ type: MessageType.VoteResp, from: 2, to: 1, term: 1 }));
    drainAll(n);
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 1 }));
    drainAll(n);
    n.step(msg({ type: MessageType.ReadIndex, from: 2, to: 1, entries: [{ term: 0, index: 0, type: 0, data: ctx('f') }] }));
    const out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.ReadIndexResp, to: 2, index: 1 }));
  });
});
