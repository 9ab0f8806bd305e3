/**
 * Scenario tests of the core beyond the paper's claims: the checklist of
 * ../shared/SCENARIOS.md (numbers in the test names), flow control, limits,
 * forwarding and the Ready contract.
 */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, RaftUsageError } from './errors.js';
import { ENTRY_OVERHEAD_BYTES } from './util.js';
import type { MemoryStorage } from './storage.js';
import { ProgressState } from './tracker/progress.js';
import { TestCluster, logTerms } from './test-support/cluster.js';
import { drainAll, memberStorage, msg, newNode, storageWithTerms } from './test-support/single.js';
import { EntryType, type Message, MessageType, NONE, StateRole } from './types.js';
import type { Raft } from './raft.js';
import { MiniNet } from './test-support/mini-net.js';
import { seededRandom } from './random.js';

const enc = (s: string) => new TextEncoder().encode(s);

const isCampaignRequest = (m: Message) => m.type === MessageType.Vote || m.type === MessageType.PreVote;

describe('clusters of 1, 2, 3 and 5 members', () => {
  for (const size of [1, 2, 3, 5]) {
    it(`${size} member(s): elect, replicate, survive the loss of a minority`, () => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const c = new TestCluster(ids, { preVote: true, checkQuorum: true });
      c.tickAll(25);
      const first = c.leader();
      expect(first).toBeDefined();
      for (let i = 0; i < 5; i++) c.propose(ids[i % size]!, `v${i}`);
      c.tickAll(2);
      for (const id of ids) expect(c.appliedData(id)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
      const tolerated = Math.floor((size - 1) / 2);
      if (tolerated === 0) return;
      c.crash(first!);
      c.tickAll(40);
      const second = c.leader();
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      c.propose(second!, 'after');
      c.tickAll(2);
      for (const id of ids) if (id !== first) expect(c.appliedData(id).at(-1)).toBe('after');
    });
  }

  it('a two-member cluster cannot commit without both members (2 is its majority)', () => {
    const c = new TestCluster([1, 2]);
    c.elect(1);
    c.crash(2);
    c.node(1).propose(enc('x'));
    c.tickAll(5);
    expect(c.appliedData(1)).toEqual([]);
    c.restart(2);
    c.tickAll(30);
    expect(c.appliedData(1)).toEqual(['x']);
  });
});

describe('initial election (scenario 1)', () => {
  for (const preVote of [false, true]) {
    it(`a leader is elected within budget, and with no faults the term holds for 2x the election timeout${preVote ? ', with PreVote and CheckQuorum' : ''} (6.5840 TestInitialElection)`, () => {
      const electionTick = 10;
      const electionTickMax = 2 * electionTick;
      // The first timeout falls in [electionTick, electionTickMax): one
      // range, plus one more for a split vote, is the budget.
      const budget = 2 * electionTickMax;
      const seeds = 20;
      let inOneRound = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const c = new TestCluster([1, 2, 3], { seed, electionTick, electionTickMax, preVote, checkQuorum: preVote });
        let ticks = 0;
        while (c.leader() === undefined) {
          c.tickAll(1);
          ticks++;
          expect(ticks, `seed ${seed}: no leader within ${budget} ticks`).toBeLessThanOrEqual(budget);
        }
        if (ticks < electionTickMax) inOneRound++;
        const leader = c.leader()!;
        const term = c.node(leader).raft.term;
        for (const id of [1, 2, 3]) expect(c.node(id).raft.lead, `seed ${seed}, member ${id}`).toBe(leader);
        const before = c.sent.length;
        c.tickAll(2 * electionTickMax);
        // No member campaigned again: the same leader, the same term, everywhere.
        expect(c.sent.slice(before).filter(isCampaignRequest), `seed ${seed}`).toEqual([]);
        for (const id of [1, 2, 3]) {
          expect(c.node(id).raft.term, `seed ${seed}, member ${id}`).toBe(term);
          expect(c.node(id).raft.lead, `seed ${seed}, member ${id}`).toBe(leader);
        }
      }
      // Split votes are the exception: almost always the first timeout elects.
      expect(inOneRound).toBeGreaterThanOrEqual(0.9 * seeds);
    });
  }
});

describe('many elections (scenario 3)', () => {
  it('7 members, 3 random ones isolated again and again: never two leaders in a term, and progress whenever a quorum is connected (6.5840 TestManyElections)', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const c = new TestCluster(ids, { preVote: true, checkQuorum: true, seed: 3 });
    const random = seededRandom(3);
    const leaders = new Map<number, number>(); // term -> leader
    const checkElectionSafety = () => {
      for (const id of ids) {
        const r = c.node(id).raft;
        if (r.state !== StateRole.Leader) continue;
        const other = leaders.get(r.term);
        expect(other === undefined || other === id, `two leaders in term ${r.term}: ${other} and ${id}`).toBe(true);
        leaders.set(r.term, id);
      }
    };
    /** A connected member leading the highest term any connected member knows. */
    const connectedLeader = (connected: number[]) => {
      const top = Math.max(...connected.map((id) => c.node(id).raft.term));
      return connected.find((id) => c.node(id).raft.state === StateRole.Leader && c.node(id).raft.term === top);
    };
    const written: string[] = [];
    const rounds = 25;
    let leaderIsolated = 0;
    for (let round = 0; round < rounds; round++) {
      const isolated: number[] = [];
      while (isolated.length < 3) {
        const id = ids[Math.floor(random() * ids.length)]!;
        if (!isolated.includes(id)) isolated.push(id);
      }
      const connected = ids.filter((id) => !isolated.includes(id));
      if (c.leader() !== undefined && isolated.includes(c.leader()!)) leaderIsolated++;
      const reconnect = c.drop((m) => isolated.includes(m.from) || isolated.includes(m.to));
      // The four connected members are a quorum: they keep or elect a leader...
      let ticks = 0;
      while (connectedLeader(connected) === undefined) {
        c.tickAll(1);
        checkElectionSafety();
        expect(++ticks, `round ${round}: no leader among ${connected.join(',')}`).toBeLessThanOrEqual(100);
      }
      // ...and commit.
      const w = `r${round}`;
      c.propose(connectedLeader(connected)!, w);
      written.push(w);
      checkElectionSafety();
      for (const id of connected) expect(c.appliedData(id).at(-1), `round ${round}, member ${id}`).toBe(w);
      c.tickAll(1 + Math.floor(random() * 15));
      checkElectionSafety();
      reconnect();
      c.tickAll(1 + Math.floor(random() * 5));
      checkElectionSafety();
    }
    // Leaders were isolated too, and terms moved on.
    expect(leaderIsolated).toBeGreaterThanOrEqual(5);
    expect(leaders.size).toBeGreaterThanOrEqual(5);
    c.tickAll(30);
    checkElectionSafety();
    for (const id of ids) expect(c.appliedData(id), `member ${id}`).toEqual(written);
  });
});

describe('re-election (scenario 2)', () => {
  it('a disconnected leader is replaced; when it rejoins it follows without disrupting', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    const healIsolation = c.isolate(1);
    c.tickAll(40);
    const next = c.leader();
    expect(next === 2 || next === 3).toBe(true);
    // The old leader stepped down when it lost its quorum (CheckQuorum).
    expect(c.node(1).raft.state).not.toBe(StateRole.Leader);
    const term = c.node(next!).raft.term;
    healIsolation();
    c.tickAll(30);
    expect(c.leader()).toBe(next);
    expect(c.node(next!).raft.term).toBe(term);
    expect(c.node(1).raft.lead).toBe(next);
  });

  it('no leader is elected without a quorum', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    c.crash(2);
    c.crash(3);
    c.tickAll(60);
    expect(c.leader()).toBeUndefined();
  });
});

describe('PreVote and CheckQuorum (scenarios 4 and 5)', () => {
  it('a partitioned leader steps down within an election timeout and refuses writes', () => {
    const c = new TestCluster([1, 2, 3], { checkQuorum: true });
    c.elect(1);
    c.isolate(1);
    // The quorum check runs every electionTick and counts who was heard from
    // since the previous check, so the leader notices within two timeouts.
    c.tick(1, 10);
    expect(c.node(1).raft.state).toBe(StateRole.Leader);
    c.tick(1, 10);
    expect(c.node(1).raft.state).toBe(StateRole.Follower);
    expect(() => c.node(1).propose(enc('x'))).toThrow(ProposalDroppedError);
    expect(() => c.node(1).propose(enc('x'))).toThrow(/no leader is known at term 2/);
  });

  it('with PreVote, a rejoining partitioned member neither disrupts the leader nor inflates its term', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    const heal = c.isolate(3);
    c.tick(3, 200);
    expect(c.node(3).raft.term).toBe(2);
    expect(c.node(3).raft.state).toBe(StateRole.PreCandidate);
    heal();
    c.tickAll(5);
    expect(c.leader()).toBe(1);
    expect(c.node(1).raft.term).toBe(2);
    expect(c.node(3).raft.lead).toBe(1);
  });

  it('without PreVote, the rejoining member inflates its term (the disruption PreVote prevents)', () => {
    const c = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.elect(1);
    const heal = c.isolate(3);
    c.tick(3, 200);
    expect(c.node(3).raft.term).toBeGreaterThan(5);
    heal();
    c.tickAll(40);
    expect(c.node(1).raft.term).toBeGreaterThan(5);
  });

  it('a pre-vote of a higher term is granted without raising the term; the reply carries the request term (thesis §9.6, etcd TestPreVoteFromAnyState)', () => {
    // PreVote on, CheckQuorum off (no lease to ignore the request), at term 1.
    const n = newNode(2, [1, 2, 3], { preVote: true, checkQuorum: false }, storageWithTerms([1, 2, 3], [1, 1], 1));
    expect(n.raft.term).toBe(1);
    n.step(msg({ type: MessageType.PreVote, from: 3, to: 2, term: 5, index: 2, logTerm: 1 }));
    expect(n.raft.term).toBe(1);
    expect(n.raft.vote).toBe(NONE);
    expect(n.raft.state).toBe(StateRole.Follower);
    const out = drainAll(n);
    expect(out).toEqual([expect.objectContaining({ type: MessageType.PreVoteResp, to: 3, term: 5, reject: false })]);
    // Nothing to persist: term and vote are unchanged.
    expect(n.raft.hardState()).toMatchObject({ term: 1, vote: NONE });
    // A pre-vote changes nothing, so the same member may grant another one.
    n.step(msg({ type: MessageType.PreVote, from: 1, to: 2, term: 5, index: 2, logTerm: 1 }));
    expect(drainAll(n)).toEqual([expect.objectContaining({ type: MessageType.PreVoteResp, to: 1, term: 5, reject: false })]);
    expect(n.raft.term).toBe(1);
  });

  it('a member that hears from its leader ignores vote requests of a higher term (leader lease)', () => {
    const c = new TestCluster([1, 2, 3], { checkQuorum: true });
    c.elect(1);
    c.node(2).step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 9, index: 100, logTerm: 9 }));
    expect(c.node(2).raft.term).toBe(2);
    expect(c.node(2).raft.lead).toBe(1);
  });
});

describe('no commit without a majority (scenario 8)', () => {
  it('a leader with 3 of 5 members down commits nothing; its entries are discarded after the others elect', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    c.elect(1);
    c.propose(1, 'ok');
    c.partition([1, 2], [3, 4, 5]);
    c.node(1).propose(enc('lost-1'));
    c.node(1).propose(enc('lost-2'));
    c.tickAll(1);
    expect(c.appliedData(1)).toEqual(['ok']);
    c.elect(3);
    c.propose(3, 'new');
    c.heal();
    c.tickAll(20);
    for (const id of [1, 2, 3, 4, 5]) expect(c.appliedData(id)).toEqual(['ok', 'new']);
  });
});

describe('fast backtracking (scenario 9)', () => {
  it('repairs 2×50 divergent uncommitted entries with one rejection per follower (6.5840 TestBackup)', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    c.elect(1);
    c.propose(1, 'base');
    // Leader 1 with 2 writes 50 entries of term 2 that never commit.
    c.partition([1, 2], [3, 4, 5]);
    for (let i = 0; i < 50; i++) c.node(1).propose(enc(`a${i}`));
    c.stabilize();
    // 3 leads the majority and commits 50 of its own in term 3.
    c.elect(3);
    for (let i = 0; i < 50; i++) c.node(3).propose(enc(`b${i}`));
    c.stabilize();
    // Leadership moves on within the majority, so the new leader knows
    // nothing of 1 and 2 and probes them from its last index (55): 50
    // entries past where their logs diverge (after 'base' at 3).
    c.elect(4);
    expect(c.node(4).raft.trk.progress.get(1)!.next).toBe(55);
    const appResps = () => c.sentOfType(MessageType.AppResp).filter((m) => m.reject);
    const rejectsBefore = appResps().length;
    c.heal();
    c.tickAll(3);
    const rejects = appResps().slice(rejectsBefore);
    // Each follower rejects once, hinting its last entry (53, term 2); the
    // leader skips its whole term 3 in one step and the next probe, at 3,
    // matches. Without fast backtracking that is one rejection per entry.
    expect(rejects.map((m) => [m.from, m.index, m.rejectHint, m.logTerm])).toEqual([
      [1, 54, 53, 2],
      [2, 54, 53, 2],
    ]);
    for (const id of [1, 2]) expect(logTerms(c.node(id))).toEqual(logTerms(c.node(4)));
    expect(c.appliedData(2)).toHaveLength(51);
  });

  describe('etcd TestFastLogRejection: the hint a rejection carries and the probe the leader sends next', () => {
    interface Case {
      why: string;
      leaderLog: number[];
      followerLog: number[];
      /** Entries up to this index are compacted on the follower. */
      followerCompact?: number;
      rejectHintTerm: number;
      rejectHintIndex: number;
      nextAppendTerm: number;
      nextAppendIndex: number;
    }
    const cases: Case[] = [
      { why: 'the leader skips its term-4 entries', leaderLog: [1, 2, 2, 4, 4, 4, 4], followerLog: [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], rejectHintTerm: 3, rejectHintIndex: 7, nextAppendTerm: 2, nextAppendIndex: 3 },
      { why: 'the leader skips its terms 5 and 4', leaderLog: [1, 2, 2, 3, 4, 4, 4, 5], followerLog: [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], rejectHintTerm: 3, rejectHintIndex: 8, nextAppendTerm: 3, nextAppendIndex: 4 },
      { why: 'the follower skips its terms 4 and 2', leaderLog: [1, 1, 1, 1], followerLog: [1, 2, 2, 4], rejectHintTerm: 1, rejectHintIndex: 1, nextAppendTerm: 1, nextAppendIndex: 1 },
      { why: 'the same with a longer leader tail', leaderLog: [1, 1, 1, 1, 1, 1], followerLog: [1, 2, 2, 4], rejectHintTerm: 1, rejectHintIndex: 1, nextAppendTerm: 1, nextAppendIndex: 1 },
      { why: 'the same with a longer follower tail', leaderLog: [1, 1, 1, 1], followerLog: [1, 2, 2, 4, 4, 4], rejectHintTerm: 1, rejectHintIndex: 1, nextAppendTerm: 1, nextAppendIndex: 1 },
      { why: 'no conflict, the follower is one entry short', leaderLog: [1, 1, 1, 4, 5], followerLog: [1, 1, 1, 4], rejectHintTerm: 4, rejectHintIndex: 4, nextAppendTerm: 4, nextAppendIndex: 4 },
      { why: "etcd stepLeader's comment example", leaderLog: [2, 5, 5, 5, 5, 5, 5, 5, 5], followerLog: [2, 4, 4, 4, 4, 4], rejectHintTerm: 4, rejectHintIndex: 6, nextAppendTerm: 2, nextAppendIndex: 1 },
      { why: "etcd handleAppendEntries' comment example", leaderLog: [2, 2, 2, 2, 2], followerLog: [2, 4, 4, 4, 4, 4, 4, 4], rejectHintTerm: 2, rejectHintIndex: 1, nextAppendTerm: 2, nextAppendIndex: 1 },
      // A stale append reaches a follower that compacted past its index: the
      // term there is unknown (0), so the leader steps back one entry.
      { why: 'the follower compacted past the probe', leaderLog: [1, 1, 3], followerLog: [1, 1, 3, 3, 3], followerCompact: 5, rejectHintTerm: 0, rejectHintIndex: 3, nextAppendTerm: 1, nextAppendIndex: 2 },
    ];

    /** Outgoing messages of a Raft (immediate and after-persist), taken out of it. */
    function take(r: Raft): Message[] {
      const out = [...r.msgs, ...r.msgsAfterAppend].filter((m) => m.to !== r.id);
      r.msgs = [];
      r.msgsAfterAppend = [];
      return out;
    }

    function setUp(tc: Case) {
      const lastTerm = tc.leaderLog[tc.leaderLog.length - 1]!;
      const s1 = storageWithTerms([1, 2, 3], tc.leaderLog);
      s1.setHardState({ term: lastTerm - 1, vote: 0, commit: tc.leaderLog.length });
      const n1 = newNode(1, [1, 2, 3], {}, s1);
      const leader = n1.raft;
      leader.becomeCandidate(); // term = lastTerm
      leader.becomeLeader(); // appends an empty entry of lastTerm
      take(leader);
      const s2 = storageWithTerms([1, 2, 3], tc.followerLog);
      s2.setHardState({ term: lastTerm, vote: 1, commit: 0 });
      const n2 = newNode(2, [1, 2, 3], {}, s2);
      const follower = n2.raft;
      // Not a state a real follower reaches (its commit index is still 0):
      // etcd exercises the edge case this way too.
      if (tc.followerCompact !== undefined) s2.compact(tc.followerCompact);
      return { n1, n2, leader, follower };
    }

    for (const tc of cases) {
      it(`${tc.why}: leader ${tc.leaderLog.join('')}, follower ${tc.followerLog.join('')}`, () => {
        const { n1, n2, leader, follower } = setUp(tc);
        follower.step(msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: leader.term }));
        const [hbResp, ...noMore] = take(follower);
        expect(noMore).toEqual([]);
        expect(hbResp!.type).toBe(MessageType.HeartbeatResp);
        leader.step(hbResp!);
        const [probe, ...noMore2] = take(leader);
        expect(noMore2).toEqual([]);
        expect(probe!.type).toBe(MessageType.App);
        follower.step(probe!);
        const [rejection, ...noMore3] = take(follower);
        expect(noMore3).toEqual([]);
        expect(rejection).toMatchObject({ type: MessageType.AppResp, reject: true, logTerm: tc.rejectHintTerm, rejectHint: tc.rejectHintIndex });
        leader.step(rejection!);
        const [next, ...noMore4] = take(leader);
        expect(noMore4).toEqual([]);
        expect(next).toMatchObject({ type: MessageType.App, logTerm: tc.nextAppendTerm, index: tc.nextAppendIndex });
        if (tc.followerCompact !== undefined) return;
        // The next probe matches: one rejection and two probes in all, and
        // the follower's log is the leader's.
        follower.step(next!);
        const [accepted, ...noMore5] = take(follower);
        expect(noMore5).toEqual([]);
        expect(accepted).toMatchObject({ type: MessageType.AppResp, reject: false, index: leader.raftLog.lastIndex() });
        expect(logTerms(n2)).toEqual(logTerms(n1));
      });
    }
  });

  it('rejection hints skip every entry of a later term on the follower', () => {
    // Follower terms 1 1 1 4 4 5 5 5 6; a probe at index 9 with log term 3 must
    // be answered with the largest index whose term is <= 3.
    const g = newNode(2, [1, 2], {}, storageWithTerms([1, 2], [1, 1, 1, 4, 4, 5, 5, 5, 6]));
    g.step(msg({ type: MessageType.App, from: 1, to: 2, term: 8, index: 9, logTerm: 3 }));
    const resp = drainAll(g).find((m) => m.type === MessageType.AppResp)!;
    expect(resp).toMatchObject({ reject: true, index: 9, rejectHint: 3, logTerm: 1 });
  });
});

describe('flow control (scenario 13)', () => {
  it('a full inflight window pauses appends; an ack reopens it; a heartbeat response unblocks a lost window', () => {
    const n = newNode(1, [1, 2], { maxInflightMsgs: 3 });
    n.campaign();
    drainAll(n);
    n.step(msg({ type: MessageType.VoteResp, from: 2, to: 1, term: 1 }));
    drainAll(n);
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 1 }));
    drainAll(n);
    const pr = n.raft.trk.progress.get(2)!;
    expect(pr.state).toBe(ProgressState.Replicate);
    let apps = 0;
    for (let i = 0; i < 6; i++) {
      n.propose(enc(`x${i}`));
      apps += drainAll(n).filter((m) => m.type === MessageType.App && m.entries.length > 0).length;
    }
    expect(apps).toBe(3);
    expect(pr.isPaused()).toBe(true);
    // An ack of the first message frees one slot: the rest goes out in one append.
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 2 }));
    const more = drainAll(n).filter((m) => m.type === MessageType.App && m.entries.length > 0);
    expect(more.length).toBeGreaterThan(0);
    // All in flight lost: a heartbeat response makes the leader send an (empty) append.
    while (!pr.isPaused()) {
      n.propose(enc('y'));
      drainAll(n);
    }
    n.tick();
    drainAll(n);
    n.step(msg({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: 1 }));
    const probe = drainAll(n).filter((m) => m.type === MessageType.App);
    expect(probe.length).toBe(1);
  });

  it('the in-flight byte cap pauses appends to a follower and an ack resumes them (etcd TestProgressFlowControl)', () => {
    // Each entry encodes to 1000 bytes and travels alone (maxSizePerMsg);
    // the window allows 3000 bytes, far fewer than its 256 messages.
    const payload = () => new Uint8Array(1000 - ENTRY_OVERHEAD_BYTES);
    const leaderWith = (extra: Parameters<typeof newNode>[2]) => {
      const n = newNode(1, [1, 2], { maxSizePerMsg: 1000, ...extra });
      n.campaign();
      drainAll(n);
      n.step(msg({ type: MessageType.VoteResp, from: 2, to: 1, term: 1 }));
      drainAll(n);
      n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 1 }));
      drainAll(n);
      expect(n.raft.trk.progress.get(2)!.state).toBe(ProgressState.Replicate);
      return n;
    };
    const appends = (out: Message[]) => out.filter((m) => m.type === MessageType.App && m.to === 2 && m.entries.length > 0);
    const proposeFive = (n: ReturnType<typeof newNode>) => {
      let sent: Message[] = [];
      for (let i = 0; i < 5; i++) {
        n.propose(payload());
        sent = sent.concat(appends(drainAll(n)));
      }
      return sent;
    };

    // Without a tight byte cap all five go out at once.
    expect(proposeFive(leaderWith({}))).toHaveLength(5);

    const n = leaderWith({ maxInflightBytes: 3000 });
    const pr = n.raft.trk.progress.get(2)!;
    const first = proposeFive(n);
    // Entries 2, 3 and 4 fill the 3000 bytes; 5 and 6 wait.
    expect(first.map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3], [4]]);
    expect(pr.inflights).toMatchObject({ count: 3, bytes: 3000 });
    expect(pr.isPaused()).toBe(true);
    // An ack of entry 2 frees 1000 bytes: exactly one more append.
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 2 }));
    expect(appends(drainAll(n)).map((m) => m.entries.map((e) => e.index))).toEqual([[5]]);
    expect(pr.inflights.bytes).toBe(3000);
    expect(pr.isPaused()).toBe(true);
    // An ack through 4 frees two messages: the last entry goes out and the window has room.
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 4 }));
    expect(appends(drainAll(n)).map((m) => m.entries.map((e) => e.index))).toEqual([[6]]);
    expect(pr.inflights).toMatchObject({ count: 2, bytes: 2000 });
    expect(pr.isPaused()).toBe(false);
  });

  it('an unreachable follower goes back to probing', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    expect(c.node(1).raft.trk.progress.get(2)!.state).toBe(ProgressState.Replicate);
    c.node(1).reportUnreachable(2);
    expect(c.node(1).raft.trk.progress.get(2)!.state).toBe(ProgressState.Probe);
  });
});

describe('byte limits (scenarios 14 and 15)', () => {
  it('refuses proposals beyond the uncommitted cap while quorum is lost, and accepts again after commit', () => {
    const c = new TestCluster([1, 2, 3], { extra: { maxUncommittedEntriesSize: 1000 } });
    c.elect(1);
    c.crash(2);
    c.crash(3);
    const big = new Uint8Array(300);
    let accepted = 0;
    let error: unknown;
    for (let i = 0; i < 10; i++) {
      try {
        c.node(1).propose(big);
        accepted++;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(accepted).toBe(3);
    expect(error).toBeInstanceOf(ProposalDroppedError);
    expect((error as ProposalDroppedError).reason).toBe('uncommitted-limit');
    expect((error as Error).message).toMatch(/over its limit of 1000 bytes/);
    c.restart(2);
    c.tickAll(3);
    expect(() => c.node(1).propose(big)).not.toThrow();
  });

  it('splits appends at the message byte limit, sending an oversized entry alone', () => {
    const c = new TestCluster([1, 2], { extra: { maxSizePerMsg: 1000, maxInflightBytes: 100_000 } });
    c.elect(1);
    c.crash(2);
    for (let i = 0; i < 10; i++) c.node(1).propose(new Uint8Array(300));
    c.node(1).propose(new Uint8Array(5000));
    c.stabilize();
    c.restart(2);
    const before = c.sent.length;
    c.tickAll(3);
    const apps = c.sent.slice(before).filter((m) => m.type === MessageType.App && m.entries.length > 0);
    for (const a of apps) {
      const size = a.entries.reduce((s, e) => s + e.data.length, 0);
      if (a.entries.length > 1) expect(size).toBeLessThanOrEqual(1000);
    }
    expect(apps.some((a) => a.entries.length === 1 && a.entries[0]!.data.length === 5000)).toBe(true);
    expect(c.member(2).applied.filter((e) => e.data.length > 0)).toHaveLength(11);
  });
});

describe('RPC economy (scenario 12)', () => {
  it('in steady state each entry goes to each follower about once, in about its own size (6.5840 TestRPCBytes)', () => {
    const c = new TestCluster([1, 2, 3], { heartbeatTick: 2, preVote: true, checkQuorum: true });
    c.elect(1);
    c.propose(1, 'warm');
    const before = c.sent.length;
    const n = 300;
    const size = 100;
    const payload = (i: number) => enc(`e${i}`.padEnd(size, '.'));
    // Proposals keep coming while earlier appends are still unacknowledged:
    // the leader pipelines, and heartbeats run meanwhile.
    let mostInFlight = 0;
    for (let i = 0; i < n; i++) {
      c.node(1).propose(payload(i));
      c.processReady(1);
      mostInFlight = Math.max(mostInFlight, c.node(1).raft.trk.progress.get(2)!.inflights.count);
      if (i % 3 === 2) {
        c.deliverAll();
        for (const id of [2, 3]) c.processReady(id);
      }
      if (i % 10 === 9) c.tickAll(1);
    }
    c.stabilize();
    c.tickAll(2);
    expect(mostInFlight).toBeGreaterThanOrEqual(3);
    const appends = c.sent.slice(before).filter((m) => m.type === MessageType.App);
    for (const f of [2, 3]) {
      const carried = appends.filter((m) => m.to === f).flatMap((m) => m.entries).filter((e) => e.data.length === size);
      const times = new Map<string, number>();
      for (const e of carried) times.set(new TextDecoder().decode(e.data), (times.get(new TextDecoder().decode(e.data)) ?? 0) + 1);
      // Every entry arrived, and hardly any twice.
      expect(times.size, `follower ${f}`).toBe(n);
      expect(carried.length, `follower ${f}`).toBeLessThanOrEqual(n * 1.05);
      const bytes = carried.reduce((sum, e) => sum + e.data.length, 0);
      expect(bytes, `follower ${f}`).toBeLessThanOrEqual(n * size * 1.05);
      expect(c.appliedData(f)).toHaveLength(n + 1);
    }
  });

  it('an idle leader sends one heartbeat per follower per heartbeat interval and nothing else (6.5840 TestCount)', () => {
    const heartbeatTick = 3;
    const ids = [1, 2, 3, 4, 5];
    const c = new TestCluster(ids, { heartbeatTick, electionTick: 15, preVote: true, checkQuorum: true });
    c.elect(1);
    c.propose(1, 'x');
    c.tickAll(10);
    const before = c.sent.length;
    const ticks = 300;
    c.tickAll(ticks);
    const idle = c.sent.slice(before);
    const intervals = Math.ceil(ticks / heartbeatTick);
    const followers = ids.length - 1;
    // Only heartbeats and their answers...
    expect(new Set(idle.map((m) => MessageType[m.type]))).toEqual(new Set(['Heartbeat', 'HeartbeatResp']));
    // ...one per follower per interval, each answered once.
    const beats = idle.filter((m) => m.type === MessageType.Heartbeat);
    expect(beats.length).toBeLessThanOrEqual(intervals * followers);
    expect(beats.length).toBeGreaterThanOrEqual((intervals - 1) * followers);
    expect(idle.length).toBeLessThanOrEqual(2 * intervals * followers);
    expect(c.leader()).toBe(1);
  });
});

describe('proposals', () => {
  it('a follower forwards proposals to the leader', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(3, 'via-follower');
    const fwd = c.sentOfType(MessageType.Prop);
    expect(fwd).toHaveLength(1);
    expect(fwd[0]).toMatchObject({ from: 3, to: 1, term: 0 });
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual(['via-follower']);
  });

  it('fails clearly when no leader is known, or forwarding is disabled', () => {
    const n = newNode(1, [1, 2, 3]);
    expect(() => n.propose(enc('x'))).toThrow('proposal dropped: no leader is known at term 0; retry once a leader is elected');
    const c = new TestCluster([1, 2, 3], { extra: { disableProposalForwarding: true } });
    c.elect(1);
    expect(() => c.node(2).propose(enc('x'))).toThrow(/proposal forwarding is disabled; send it to leader 1/);
    n.campaign();
    drainAll(n);
    expect(() => n.propose(enc('x'))).toThrow(/an election is in progress/);
  });

  it('batches proposals made between two Readies into one append per follower', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'warm');
    const before = c.sent.length;
    for (let i = 0; i < 50; i++) c.node(1).propose(enc(`p${i}`));
    c.node(1).proposeBatch([enc('q1'), enc('q2')]);
    c.processReady(1);
    const apps = c.sent.slice(before).filter((m) => m.type === MessageType.App);
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(apps[0]!.entries).toHaveLength(52);
  });

  it('applies every entry exactly once, in order, after a restart with the applied index', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
    c.crash(2);
    c.restart(2);
    c.tickAll(3);
    c.propose(1, 'e5');
    expect(c.appliedData(2)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  });
});

describe('crash and restart (scenario 16)', () => {
  it('every member restarts from durable state and acknowledged writes survive', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    for (let i = 0; i < 10; i++) c.propose(1 + (i % 3), `w${i}`);
    const acked = c.appliedData(1);
    for (const id of [1, 2, 3]) c.crash(id);
    for (const id of [1, 2, 3]) c.restart(id);
    for (const id of [1, 2, 3]) expect(c.node(id).raft.raftLog.committed).toBeGreaterThanOrEqual(11);
    c.tickAll(40);
    expect(c.leader()).toBeDefined();
    c.propose(c.leader()!, 'after');
    c.tickAll(2);
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual([...acked, 'after']);
  });

  it('a candidate does not win before its own vote is durable, so a crash cannot make it lead one term twice', () => {
    // Vote requests leave before the candidate's new term and self-vote are
    // persisted (Ready.messages). Two grants are a majority of three without
    // the candidate's own vote; if they made it leader, a crash would lose
    // the term it led, it would be re-elected for that same term by the same
    // voters, and could append different entries at the same index and term.
    const s1 = memberStorage([1, 2, 3]);
    const n1 = newNode(1, [1, 2, 3], {}, s1);
    const n2 = newNode(2, [1, 2, 3]);
    const n3 = newNode(3, [1, 2, 3]);
    n1.campaign();
    const rd = n1.ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 1 });
    const requests = rd.messages.filter((m) => m.type === MessageType.Vote);
    expect(requests.map((m) => m.to)).toEqual([2, 3]);
    // Both grant while 1 is still writing its term and vote.
    n2.step(requests[0]!);
    n3.step(requests[1]!);
    for (const grant of [...drainAll(n2), ...drainAll(n3)]) n1.step(grant);
    expect(n1.raft.state).toBe(StateRole.Candidate);
    expect(() => n1.propose(enc('x'))).toThrow(ProposalDroppedError);
    // It crashes before the write completes: it restarts in term 0.
    const again = newNode(1, [1, 2, 3], {}, s1);
    expect(again.raft.term).toBe(0);
    // Its new candidacy for term 1 wins once its vote is durable.
    again.campaign();
    const out = drainAll(again);
    for (const m of out.filter((m) => m.type === MessageType.Vote)) {
      const voter = m.to === 2 ? n2 : n3;
      voter.step(m);
      for (const grant of drainAll(voter)) again.step(grant);
    }
    expect(again.raft.state).toBe(StateRole.Leader);
    expect(again.raft.term).toBe(1);
    // And without the crash, persisting (advance) is what makes it leader.
    const m1 = newNode(1, [1, 2, 3]);
    const m2 = newNode(2, [1, 2, 3]);
    m1.campaign();
    const rd1 = m1.ready();
    m2.step(rd1.messages.find((m) => m.to === 2)!);
    for (const grant of drainAll(m2)) m1.step(grant);
    expect(m1.raft.state).toBe(StateRole.Candidate);
    const s = m1.raft.raftLog.storage as MemoryStorage;
    s.setHardState(rd1.hardState!);
    m1.advance();
    expect(m1.raft.state).toBe(StateRole.Leader);
  });

  it('a single-member cluster keeps committed writes across a restart', () => {
    const c = new TestCluster([1]);
    c.tickAll(25);
    expect(c.leader()).toBe(1);
    c.propose(1, 'a');
    c.crash(1);
    c.restart(1);
    c.tickAll(25);
    c.propose(1, 'b');
    expect(c.appliedData(1)).toEqual(['a', 'b']);
  });

  it('loses only unpersisted state when a member crashes between ready() and advance()', () => {
    const n = newNode(1, [1]);
    n.campaign();
    drainAll(n);
    drainAll(n);
    n.propose(enc('never-persisted'));
    const rd = n.ready();
    expect(rd.entries).toHaveLength(1);
    // Crash before persisting: restart from storage.
    const storage = n.raft.raftLog.storage as MemoryStorage;
    const again = newNode(1, [1], {}, storage);
    expect(again.raft.raftLog.lastIndex()).toBe(1);
  });

  it('restarts with the commit index raised to the applied index when the hard state lost the race', () => {
    // Entries 2 and 3 are durable and were applied, but the hard state
    // raising the commit index over them was not written before the crash.
    const storage = storageWithTerms([1], [1, 1, 1]);
    storage.setHardState({ term: 1, vote: 1, commit: 1 });
    expect(storage.lastIndex()).toBe(3);
    const n = newNode(1, [1], { applied: 3 }, storage);
    expect(n.raft.raftLog.committed).toBe(3);
    expect(n.raft.raftLog.applied).toBe(3);
    // Applied entries must be in the log: anything else is a broken store.
    expect(() => newNode(1, [1], { applied: 4 }, storageWithTerms([1], [1, 1, 1]))).toThrow(/applied index 4 is out of range/);
  });
});

describe('dueling candidates (scenario 7)', () => {
  it('converge on one leader once they can talk', () => {
    const nodes = [1, 2, 3].map((id) => newNode(id, [1, 2, 3]));
    const net = new MiniNet({ 1: nodes[0]!, 2: nodes[1]!, 3: nodes[2]! });
    net.cut(1, 3);
    net.send(msg({ type: MessageType.Hup, from: 1, to: 1 }));
    net.send(msg({ type: MessageType.Hup, from: 3, to: 3 }));
    expect(net.node(1).raft.state).toBe(StateRole.Leader);
    expect(net.node(3).raft.state).toBe(StateRole.Candidate);
    net.recover();
    net.send(msg({ type: MessageType.Hup, from: 3, to: 3 }));
    // 3's log is behind 1's (no no-op of term 1), so 3 cannot win; it ends as a follower.
    expect(net.node(3).raft.state).toBe(StateRole.Follower);
    expect(net.node(1).raft.state).toBe(StateRole.Follower);
    net.send(msg({ type: MessageType.Hup, from: 1, to: 1 }));
    expect(net.node(1).raft.state).toBe(StateRole.Leader);
  });
});

describe('input validation', () => {
  it('refuses local message types from the network and drops malformed appends', () => {
    const n = newNode(1, [1, 2, 3]);
    expect(() => n.step(msg({ type: MessageType.Hup, from: 2, to: 1 }))).toThrow(RaftUsageError);
    expect(() => n.step(msg({ type: MessageType.Beat, from: 2, to: 1 }))).toThrow(/cannot step a local message \(Beat\)/);
    const gap = [
      { term: 1, index: 1, type: EntryType.Normal, data: enc('a') },
      { term: 1, index: 3, type: EntryType.Normal, data: enc('c') },
    ];
    n.step(msg({ type: MessageType.App, from: 2, to: 1, term: 1, entries: gap }));
    expect(n.raft.raftLog.lastIndex()).toBe(0);
    n.step(msg({ type: MessageType.App, from: 2, to: 1, term: 1, entries: [{ term: 5, index: 1, type: EntryType.Normal, data: enc('a') }] }));
    expect(n.raft.raftLog.lastIndex()).toBe(0);
    n.step(msg({ type: MessageType.Heartbeat, from: -1, to: 1, term: 3 }));
    expect(n.raft.term).toBe(0);
    n.step(msg({ type: MessageType.Snap, from: 2, to: 1, term: 3 }));
    expect(n.raft.term).toBe(0);
  });

  it('ignores responses from members not in the configuration', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.node(1).step(msg({ type: MessageType.AppResp, from: 9, to: 1, term: 2, index: 100 }));
    expect(c.node(1).raft.raftLog.committed).toBe(2);
  });

  it('validates its configuration with one message listing every problem', () => {
    expect(() => newNode(1, [1], { electionTick: 1, heartbeatTick: 2, maxInflightMsgs: 0 })).toThrow(
      'invalid raft config: maxInflightMsgs is 0; expected a positive integer; electionTick is 1; expected more than heartbeatTick (2)',
    );
    expect(() => newNode(1, [1], { readOnlyOption: 'lease', checkQuorum: false })).toThrow(/lease reads are only safe with checkQuorum/);
  });

  it('enforces the Ready/advance pairing', () => {
    const n = newNode(1, [1]);
    expect(() => n.advance()).toThrow(/without a pending ready/);
    n.campaign();
    n.ready();
    expect(n.hasReady()).toBe(false);
    expect(() => n.ready()).toThrow(/before advance/);
    n.advance();
    expect(n.hasReady()).toBe(true);
  });
});

describe('status', () => {
  it('reports role, indexes, membership and per-follower progress on the leader', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    const s = c.node(1).status();
    // Founding members start from the bootstrap snapshot at index 1 (term 1).
    expect(s).toMatchObject({ id: 1, role: StateRole.Leader, lead: 1, applied: 3, firstIndex: 2, lastIndex: 3, leadTransferee: NONE });
    expect(s.hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(s.config.voters).toEqual([1, 2, 3]);
    expect(s.progress!.get(2)).toMatchObject({ match: 3, next: 4, state: ProgressState.Replicate, isLearner: false });
    expect(c.node(2).status().progress).toBeUndefined();
  });
});
