/**
 * The two-node election from raftkit's origin: a small C++ program where two
 * members elect a leader with heartbeats every 1000 ms and election timeouts
 * drawn from [1500, 5000) ms. Expressed in ticks of 100 ms: heartbeat 10
 * ticks, election timeout in [15, 50) ticks.
 */
import { describe, expect, it } from 'vitest';
import { TestCluster } from './test-support/cluster.js';
import { MessageType, StateRole } from './types.js';

const TIMING = { heartbeatTick: 10, electionTick: 15, electionTickMax: 50 };

function twoNodes(preVote: boolean, seed = 1) {
  return new TestCluster([1, 2], { ...TIMING, preVote, checkQuorum: preVote, seed });
}

describe('two-node election (origin story)', () => {
  for (const preVote of [true, false]) {
    describe(preVote ? 'with PreVote and CheckQuorum' : 'without PreVote', () => {
      it('one member becomes leader within the timeout range and sends a heartbeat every second', () => {
        const c = twoNodes(preVote);
        let ticks = 0;
        while (c.leader() === undefined) {
          c.tickAll(1);
          ticks++;
        }
        expect(ticks).toBeGreaterThanOrEqual(15);
        expect(ticks).toBeLessThan(50 + 2);
        const leader = c.leader()!;
        const follower = leader === 1 ? 2 : 1;
        const before = c.sentOfType(MessageType.Heartbeat).length;
        c.tickAll(100); // ten seconds
        const beats = c.sentOfType(MessageType.Heartbeat).slice(before);
        expect(beats.length).toBe(10);
        expect(beats.every((m) => m.from === leader && m.to === follower)).toBe(true);
        expect(c.leader()).toBe(leader);
      });

      it('a restarted follower rejoins as follower in the leader term', () => {
        const c = twoNodes(preVote);
        c.tickAll(60);
        const leader = c.leader()!;
        const follower = leader === 1 ? 2 : 1;
        const term = c.node(leader).raft.term;
        c.crash(follower);
        c.tickAll(5);
        c.restart(follower);
        c.tickAll(12);
        expect(c.node(follower).raft.state).toBe(StateRole.Follower);
        expect(c.node(follower).raft.term).toBe(term);
        expect(c.node(follower).raft.lead).toBe(leader);
        expect(c.leader()).toBe(leader);
      });

      it('with the leader gone the survivor keeps campaigning and never wins alone; a returning leader restores leadership', () => {
        const c = twoNodes(preVote);
        c.tickAll(60);
        const leader = c.leader()!;
        const survivor = leader === 1 ? 2 : 1;
        const term = c.node(survivor).raft.term;
        c.crash(leader);
        const before = c.sent.length;
        for (let i = 0; i < 600; i++) {
          c.tick(survivor);
          expect(c.node(survivor).raft.state).not.toBe(StateRole.Leader);
        }
        // One (pre-)vote request per campaign; a campaign every 1.5-5 s over a minute.
        const requests = c.sent.slice(before).filter((m) => m.type === MessageType.PreVote || m.type === MessageType.Vote);
        expect(requests.length).toBeGreaterThanOrEqual(12);
        expect(requests.length).toBeLessThanOrEqual(40);
        if (preVote) {
          // Pre-votes ask without raising the term: it stays put however long the outage.
          expect(c.node(survivor).raft.term).toBe(term);
        } else {
          expect(c.node(survivor).raft.term).toBeGreaterThan(term + 5);
        }
        c.restart(leader);
        c.tickAll(120);
        expect(c.leader()).toBeDefined();
        const newLeader = c.leader()!;
        c.propose(newLeader, 'after');
        c.tickAll(12);
        expect(c.appliedData(1)).toEqual(['after']);
        expect(c.appliedData(2)).toEqual(['after']);
      });
    });
  }
});
