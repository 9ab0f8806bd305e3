/**
 * Leadership transfer (thesis §3.10). Scenario 28 of ../shared/SCENARIOS.md.
 */
import { describe, expect, it } from 'vitest';
import { ConfChangeType } from './confchange/types.js';
import { ProposalDroppedError, RaftUsageError } from './errors.js';
import { TestCluster } from './test-support/cluster.js';
import { newNode } from './test-support/single.js';
import { MessageType, NONE, StateRole } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('leadership transfer', () => {
  it('to an up-to-date member: TimeoutNow at once, the target wins the next term', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    c.propose(1, 'a');
    const term = c.node(1).raft.term;
    const before = c.sent.length;
    c.node(1).transferLeader(3);
    c.stabilize();
    expect(c.leader()).toBe(3);
    expect(c.node(3).raft.term).toBe(term + 1);
    expect(c.sentOfType(MessageType.TimeoutNow)).toHaveLength(1);
    // The transfer bypasses PreVote and the lease check.
    expect(c.sent.slice(before).filter((m) => m.type === MessageType.PreVote)).toHaveLength(0);
    expect(c.node(1).status().lastTransfer).toMatchObject({ to: 3, outcome: 'completed' });
  });

  it('to a lagging member: the leader catches it up first', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 10; i++) c.propose(1, `w${i}`);
    c.restart(3);
    c.node(1).transferLeader(3);
    // Proposals are refused while the transfer runs.
    expect(() => c.node(1).propose(enc('x'))).toThrow(/leadership is being transferred to member 3/);
    c.tickAll(2);
    expect(c.leader()).toBe(3);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
  });

  it('to a member that dies mid-transfer: aborts after an election timeout and the leader resumes', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(3);
    c.node(1).transferLeader(3);
    expect(c.node(1).status().leadTransferee).toBe(3);
    expect(() => c.node(1).propose(enc('x'))).toThrow(ProposalDroppedError);
    c.tick(1, 10);
    expect(c.node(1).raft.state).toBe(StateRole.Leader);
    expect(c.node(1).status().leadTransferee).toBe(NONE);
    expect(c.node(1).status().lastTransfer).toMatchObject({ to: 3, outcome: 'aborted-timeout' });
    c.propose(1, 'resumed');
    expect(c.appliedData(2)).toEqual(['resumed']);
  });

  for (const when of ['right after receiving TimeoutNow', 'with TimeoutNow in flight'] as const) {
    it(`to a member that dies ${when} and never returns: aborts after an election timeout with a clear status, then the leader takes proposals`, () => {
      const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
      c.elect(1);
      c.propose(1, 'a');
      const term = c.node(1).raft.term;
      const electionTick = c.node(1).raft.config.electionTick;
      // 3 is up to date: the leader sends TimeoutNow at once.
      c.node(1).transferLeader(3);
      c.processReady(1);
      expect(c.inFlight.filter((m) => m.type === MessageType.TimeoutNow && m.to === 3)).toHaveLength(1);
      if (when === 'right after receiving TimeoutNow') {
        c.deliverAll();
        // 3 became a candidate in memory; it dies before its vote requests leave.
        expect(c.node(3).raft.state).toBe(StateRole.Candidate);
      }
      c.crash(3);
      c.stabilize();
      expect(c.sent.filter((m) => m.from === 3 && m.type === MessageType.Vote)).toHaveLength(0);
      // For the rest of the election timeout the transfer holds, and proposals are refused.
      c.tick(1, electionTick - 1);
      expect(c.node(1).status()).toMatchObject({ leadTransferee: 3, lastTransfer: { to: 3, term, outcome: 'in-progress' } });
      let err: unknown;
      try {
        c.node(1).propose(enc('refused'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProposalDroppedError);
      expect((err as ProposalDroppedError).reason).toBe('leadership-transfer');
      // Then it is abandoned; 1 still leads the same term (2 keeps its quorum).
      c.tick(1, 1);
      expect(c.node(1).status()).toMatchObject({ leadTransferee: NONE, lastTransfer: { to: 3, term, outcome: 'aborted-timeout' } });
      expect(c.leader()).toBe(1);
      expect(c.node(1).raft.term).toBe(term);
      c.propose(1, 'b');
      expect(c.appliedData(1)).toEqual(['a', 'b']);
      expect(c.appliedData(2)).toEqual(['a', 'b']);
      // 3 stays down; the leader keeps leading.
      c.tickAll(5 * electionTick);
      expect(c.leader()).toBe(1);
      expect(c.node(1).raft.term).toBe(term);
    });
  }

  it('is refused for learners, unknown members and the leader itself; a follower forwards it', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.addMember(4);
    c.confChange(1, [{ type: ConfChangeType.AddLearner, nodeId: 4 }]);
    expect(() => c.node(1).transferLeader(4)).toThrow('cannot transfer leadership to 4: it is a learner, not a voter');
    expect(() => c.node(1).transferLeader(9)).toThrow('cannot transfer leadership to 9: not a member of the cluster');
    expect(() => c.node(1).transferLeader(1)).toThrow(RaftUsageError);
    c.node(2).transferLeader(2);
    c.stabilize();
    expect(c.leader()).toBe(2);
    const lone = newNode(1, [1, 2, 3]);
    expect(() => lone.transferLeader(2)).toThrow(/no leader is known/);
  });

  it('is abandoned as soon as the target is removed from the configuration, without waiting for the timeout', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    // 3 dies. Its removal is proposed first (a transfer refuses new
    // proposals) and held uncommitted: 2's acknowledgements are lost for now.
    c.crash(3);
    const holdAcks = c.drop((m) => m.type === MessageType.AppResp && m.from === 2);
    c.confChange(1, [{ type: ConfChangeType.RemoveNode, nodeId: 3 }]);
    expect(c.voters(1)).toEqual([1, 2, 3]);
    // Leadership is to move to 3: the transfer waits for 3 to catch up.
    c.node(1).transferLeader(3);
    c.stabilize();
    expect(c.node(1).status()).toMatchObject({ leadTransferee: 3, lastTransfer: { to: 3, outcome: 'in-progress' } });
    // The removal commits and is applied while the transfer is in flight.
    holdAcks();
    c.tick(1, 1);
    expect(c.voters(1)).toEqual([1, 2]);
    expect(c.node(1).raft.state).toBe(StateRole.Leader);
    expect(c.node(1).status()).toMatchObject({ leadTransferee: NONE, lastTransfer: { to: 3, outcome: 'aborted-removed' } });
    // Well within an election timeout, the leader takes proposals again.
    expect(c.node(1).raft.electionElapsed).toBeLessThan(c.node(1).raft.config.electionTick);
    c.propose(1, 'b');
    expect(c.appliedData(2)).toEqual(['a', 'b']);
  });
});
