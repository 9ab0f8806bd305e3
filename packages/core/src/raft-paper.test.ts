/**
 * One test per claim of the Raft paper (Ongaro & Ousterhout, "In Search of
 * an Understandable Consensus Algorithm", 2014), in the manner of etcd's
 * raft_paper_test.go. Section numbers refer to the paper.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './storage.js';
import { MiniNet } from './test-support/mini-net.js';
import { drain, drainAll, ents, msg, newNode, storageWithTerms } from './test-support/single.js';
import { EntryType, MessageType, NONE, StateRole } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);

function electedLeader(id: number, voters: number[]) {
  const n = newNode(id, voters);
  n.campaign();
  drainAll(n);
  for (const v of voters) if (v !== id) n.step(msg({ type: MessageType.VoteResp, from: v, to: id, term: n.raft.term }));
  drainAll(n);
  return n;
}

/** A leader whose followers all acknowledged its no-op, so they are replicating (not probing). */
function replicatingLeader(id: number, voters: number[]) {
  const n = electedLeader(id, voters);
  for (const v of voters) if (v !== id) n.step(msg({ type: MessageType.AppResp, from: v, to: id, term: n.raft.term, index: 1 }));
  drainAll(n);
  return n;
}

describe('§5.1 terms', () => {
  it('a member starts as a follower', () => {
    const n = newNode(1, [1, 2, 3]);
    expect(n.raft.state).toBe(StateRole.Follower);
    expect(n.raft.term).toBe(0);
  });

  it('rejects requests with a stale term', () => {
    const n = newNode(1, [1, 2, 3], { preVote: true });
    n.step(msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 5 }));
    drainAll(n);
    n.step(msg({ type: MessageType.App, from: 3, to: 1, term: 4, index: 0, logTerm: 0, entries: ents(4) }));
    const out = drainAll(n);
    expect(n.raft.raftLog.lastIndex()).toBe(0);
    expect(n.raft.lead).toBe(2);
    // The stale leader learns the newer term from our answer.
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.AppResp, to: 3, term: 5 }));
  });

  it('steps down to follower on any message with a higher term, whatever its role', () => {
    for (const role of [StateRole.Follower, StateRole.Candidate, StateRole.Leader]) {
      const n = role === StateRole.Leader ? electedLeader(1, [1, 2, 3]) : newNode(1, [1, 2, 3]);
      if (role === StateRole.Candidate) {
        n.campaign();
        drainAll(n);
      }
      const term = n.raft.term + 1;
      n.step(msg({ type: MessageType.App, from: 2, to: 1, term }));
      expect(n.raft.state).toBe(StateRole.Follower);
      expect(n.raft.term).toBe(term);
      expect(n.raft.lead).toBe(2);
    }
  });
});

describe('§5.2 leader election', () => {
  it('the leader sends heartbeats every heartbeat interval', () => {
    const n = electedLeader(1, [1, 2, 3]);
    drainAll(n);
    n.tick();
    const beats = drainAll(n).filter((m) => m.type === MessageType.Heartbeat);
    expect(beats.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(beats.every((m) => m.term === n.raft.term)).toBe(true);
  });

  it('a follower that hears nothing starts an election after its timeout, votes for itself and asks everyone', () => {
    const n = newNode(1, [1, 2, 3]);
    for (let i = 0; i < 20; i++) n.tick();
    expect(n.raft.state).toBe(StateRole.Candidate);
    expect(n.raft.term).toBe(1);
    expect(n.raft.vote).toBe(1);
    const votes = drainAll(n).filter((m) => m.type === MessageType.Vote);
    expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('a candidate wins with a majority, stays candidate on a split, falls back on a majority of rejections', () => {
    const cases: Array<[number, Record<number, boolean>, StateRole]> = [
      [1, {}, StateRole.Leader],
      [3, { 2: true, 3: true }, StateRole.Leader],
      [3, { 2: true }, StateRole.Leader],
      [5, { 2: true, 3: true }, StateRole.Leader],
      [5, { 2: true }, StateRole.Candidate],
      [5, { 2: false, 3: false, 4: false }, StateRole.Follower],
      [5, {}, StateRole.Candidate],
    ];
    for (const [size, votes, want] of cases) {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const n = newNode(1, ids);
      n.campaign();
      drainAll(n);
      for (const [id, granted] of Object.entries(votes)) {
        n.step(msg({ type: MessageType.VoteResp, from: Number(id), to: 1, term: 1, reject: !granted }));
      }
      drainAll(n);
      expect(n.raft.state, `size ${size} votes ${JSON.stringify(votes)}`).toBe(want);
    }
  });

  it('a follower votes for at most one candidate per term, first come first served', () => {
    const n = newNode(1, [1, 2, 3]);
    n.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1 }));
    let out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.VoteResp, to: 2, reject: false }));
    // The vote is part of the hard state that was persisted before the answer.
    expect((n.raft.raftLog.storage as MemoryStorage).initialState().hardState.vote).toBe(2);
    n.step(msg({ type: MessageType.Vote, from: 3, to: 1, term: 1 }));
    out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.VoteResp, to: 3, reject: true }));
    // A repeated request from the same candidate is granted again.
    n.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1 }));
    out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.VoteResp, to: 2, reject: false }));
  });

  it('a candidate that hears from a leader of its term becomes its follower', () => {
    const n = newNode(1, [1, 2, 3]);
    n.campaign();
    drainAll(n);
    n.step(msg({ type: MessageType.App, from: 2, to: 1, term: 1 }));
    expect(n.raft.state).toBe(StateRole.Follower);
    expect(n.raft.lead).toBe(2);
    expect(n.raft.term).toBe(1);
  });

  it('election timeouts are randomized within [electionTick, 2·electionTick) and differ between members', () => {
    const seen = new Set<number>();
    for (let id = 1; id <= 200; id++) {
      const n = newNode(id, [id, 1000]);
      let ticks = 0;
      while (n.raft.state === StateRole.Follower) {
        n.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    // With 10 possible values and 200 members, every value shows up.
    expect(seen.size).toBe(10);
  });

  it('leader election needs only one round when the network is healthy', () => {
    const nodes = [1, 2, 3].map((id) => newNode(id, [1, 2, 3]));
    const net = new MiniNet({ 1: nodes[0]!, 2: nodes[1]!, 3: nodes[2]! });
    net.send(msg({ type: MessageType.Hup, from: 1, to: 1 }));
    expect(net.node(1).raft.state).toBe(StateRole.Leader);
    expect(net.node(1).raft.term).toBe(1);
    expect(net.log.filter((m) => m.type === MessageType.Vote)).toHaveLength(2);
  });
});

describe('§5.3 log replication', () => {
  it('the leader appends a proposal and sends it to every follower', () => {
    const n = replicatingLeader(1, [1, 2, 3]);
    drainAll(n);
    n.propose(enc('x'));
    const { ready, messages } = drain(n);
    expect(ready.entries.map((e) => [e.index, e.term])).toEqual([[2, 1]]);
    const apps = messages.filter((m) => m.type === MessageType.App);
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const a of apps) expect(a.entries.map((e) => new TextDecoder().decode(e.data))).toEqual(['x']);
  });

  it('the leader commits an entry once a majority stored it, and tells followers', () => {
    const n = electedLeader(1, [1, 2, 3]);
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 1 }));
    drainAll(n);
    n.propose(enc('x'));
    drainAll(n);
    expect(n.raft.raftLog.committed).toBe(1);
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 2 }));
    const { ready, messages } = drain(n);
    expect(n.raft.raftLog.committed).toBe(2);
    expect(ready.committedEntries.map((e) => e.index)).toEqual([2]);
    // The new commit index reaches the followers.
    expect(messages.filter((m) => m.type === MessageType.App).every((m) => m.commit === 2)).toBe(true);
  });

  it('a new leader commits entries of earlier terms along with its own (§5.4.2)', () => {
    // Member 1 holds uncommitted entries of terms 1 and 2 and wins term 3.
    const storage = storageWithTerms([1, 2, 3], [1, 2]);
    const n = newNode(1, [1, 2, 3], {}, storage);
    n.campaign();
    drainAll(n);
    n.step(msg({ type: MessageType.VoteResp, from: 2, to: 1, term: 3 }));
    drainAll(n);
    expect(n.raft.state).toBe(StateRole.Leader);
    expect(n.raft.raftLog.committed).toBe(0);
    // Follower 2 stores the whole log, including the leader's no-op at index 3.
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 3, index: 3 }));
    const { ready } = drain(n);
    expect(ready.committedEntries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('a follower commits what the leader says is committed, up to what it has', () => {
    const n = newNode(2, [1, 2, 3]);
    n.step(msg({ type: MessageType.App, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: ents(1, 1, 1), commit: 2 }));
    const { ready } = drain(n);
    expect(n.raft.raftLog.committed).toBe(2);
    expect(ready.committedEntries.map((e) => e.index)).toEqual([1, 2]);
    n.step(msg({ type: MessageType.Heartbeat, from: 1, to: 2, term: 1, commit: 3 }));
    expect(n.raft.raftLog.committed).toBe(3);
  });

  it('a follower refuses entries that do not follow a matching entry, and appends those that do', () => {
    const n = newNode(2, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 2]));
    // Mismatch at index 2 (term 3 expected, we have term 2): rejected with a hint.
    n.step(msg({ type: MessageType.App, from: 1, to: 2, term: 3, index: 2, logTerm: 3, entries: [] }));
    let out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.AppResp, reject: true, index: 2, rejectHint: 2, logTerm: 2 }));
    // Beyond our last index: rejected, hinting our last index.
    n.step(msg({ type: MessageType.App, from: 1, to: 2, term: 3, index: 5, logTerm: 3, entries: [] }));
    out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.AppResp, reject: true, index: 5, rejectHint: 2 }));
    // Matching: appended after index 1, replacing the conflicting entry 2.
    const e = [
      { index: 2, term: 3, type: EntryType.Normal, data: enc('b') },
      { index: 3, term: 3, type: EntryType.Normal, data: enc('c') },
    ];
    n.step(msg({ type: MessageType.App, from: 1, to: 2, term: 3, index: 1, logTerm: 1, entries: e }));
    out = drainAll(n);
    expect(out).toContainEqual(expect.objectContaining({ type: MessageType.AppResp, reject: false, index: 3 }));
    expect([1, 2, 3].map((i) => n.raft.raftLog.term(i))).toEqual([1, 3, 3]);
  });

  it('the leader brings every follower log of Figure 7 into agreement with its own (§5.3)', () => {
    const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: Record<string, number[]> = {
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const [name, terms] of Object.entries(followers)) {
      const lead = newNode(1, [1, 2, 3], {}, storageWithTerms([1, 2, 3], leaderTerms, 8));
      const follower = newNode(2, [1, 2, 3], {}, storageWithTerms([1, 2, 3], terms, 7));
      const net = new MiniNet({ 1: lead, 2: follower, 3: null });
      net.send(msg({ type: MessageType.Hup, from: 1, to: 1 }));
      // Member 3 (a black hole) grants its vote, so the leader wins whatever 2 thinks.
      net.send(msg({ type: MessageType.VoteResp, from: 3, to: 1, term: lead.raft.term }));
      expect(lead.raft.state, `follower ${name}`).toBe(StateRole.Leader);
      net.send(msg({ type: MessageType.Prop, from: 1, to: 1, entries: [{ index: 0, term: 0, type: EntryType.Normal, data: enc('x') }] }));
      net.flush();
      const want = [...leaderTerms, 9, 9];
      const got = Array.from({ length: follower.raft.raftLog.lastIndex() }, (_, i) => follower.raft.raftLog.term(i + 1));
      expect(got, `follower ${name}`).toEqual(want);
    }
  });
});

describe('§5.4 safety', () => {
  it('a voter refuses a candidate whose log is less up to date than its own (§5.4.1)', () => {
    const cases: Array<[number[], number, number, boolean]> = [
      // [our log terms, candidate last index, candidate last term, granted]
      [[1, 2], 2, 2, true],
      [[1, 2], 3, 2, true],
      [[1, 2], 1, 2, false], // same last term, shorter log
      [[1, 2], 5, 1, false], // longer log, older last term
      [[1, 2], 1, 1, false],
      [[1, 2], 1, 3, true], // newer last term wins even if shorter
    ];
    for (const [terms, index, logTerm, granted] of cases) {
      const n = newNode(1, [1, 2, 3], {}, storageWithTerms([1, 2, 3], terms));
      n.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 5, index, logTerm }));
      const resp = drainAll(n).find((m) => m.type === MessageType.VoteResp)!;
      expect(resp.reject, `log ${terms} vs (${index}, ${logTerm})`).toBe(!granted);
    }
  });

  it('a candidate with a stale log cannot win an election', () => {
    const up = storageWithTerms([1, 2, 3], [1, 1, 2]);
    const stale = storageWithTerms([1, 2, 3], [1, 1]);
    const net = new MiniNet({
      1: newNode(1, [1, 2, 3], {}, stale),
      2: newNode(2, [1, 2, 3], {}, up),
      3: newNode(3, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 1, 2])),
    });
    net.send(msg({ type: MessageType.Hup, from: 1, to: 1 }));
    expect(net.node(1).raft.state).not.toBe(StateRole.Leader);
    net.send(msg({ type: MessageType.Hup, from: 2, to: 2 }));
    expect(net.node(2).raft.state).toBe(StateRole.Leader);
  });

  it('a leader commits an entry of an earlier term only through an entry of its own (Figure 8)', () => {
    // Figure 8 (c): S1 leads term 4 holding entry 2 of term 2, replicated to S2
    // and S3 (a majority) but never committed. Counting replicas of the term-2
    // entry must not commit it, because S5 (term 3 at index 2) could still win.
    const s1 = newNode(1, [1, 2, 3, 4, 5], {}, storageWithTerms([1, 2, 3, 4, 5], [1, 2], 3));
    s1.campaign();
    drainAll(s1);
    for (const v of [2, 3]) s1.step(msg({ type: MessageType.VoteResp, from: v, to: 1, term: 4 }));
    drainAll(s1);
    expect(s1.raft.state).toBe(StateRole.Leader);
    // S2 and S3 acknowledge entry 2 (term 2) but not the leader's term-4 no-op at index 3.
    for (const v of [2, 3]) s1.step(msg({ type: MessageType.AppResp, from: v, to: 1, term: 4, index: 2 }));
    drainAll(s1);
    expect(s1.raft.raftLog.committed).toBe(0);
    // Once a majority holds the term-4 entry, everything before it commits too.
    for (const v of [2, 3]) s1.step(msg({ type: MessageType.AppResp, from: v, to: 1, term: 4, index: 3 }));
    drainAll(s1);
    expect(s1.raft.raftLog.committed).toBe(3);
  });

  it('the leader never counts its own entry before it is durable', () => {
    const n = replicatingLeader(1, [1, 2, 3]);
    drainAll(n);
    n.propose(enc('x'));
    const rd = n.ready();
    // The append to followers may leave before the leader's own write...
    expect(rd.messages.some((m) => m.type === MessageType.App && m.entries.length === 1)).toBe(true);
    // ...but with one follower acknowledging and the leader's copy not yet
    // durable, only one durable copy exists: no commit.
    n.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: 1, index: 2 }));
    expect(n.raft.raftLog.committed).toBeLessThan(2);
    (n.raft.raftLog.storage as MemoryStorage).append(rd.entries);
    n.advance();
    expect(n.raft.raftLog.committed).toBe(2);
  });

  it('votes and append acknowledgements wait for persistence; requests and appends do not', () => {
    const f = newNode(2, [1, 2, 3]);
    f.step(msg({ type: MessageType.Vote, from: 1, to: 2, term: 1 }));
    let rd = f.ready();
    expect(rd.messages).toHaveLength(0);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.VoteResp]);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.mustSync).toBe(true);
    f.advance();
    f.step(msg({ type: MessageType.App, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: ents(1) }));
    rd = f.ready();
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.AppResp]);
    f.advance();
    const c = newNode(1, [1, 2, 3]);
    c.campaign();
    rd = c.ready();
    expect(rd.messages.map((m) => m.type)).toEqual([MessageType.Vote, MessageType.Vote]);
    expect(c.raft.vote).toBe(1);
    expect(rd.hardState?.vote).toBe(1);
    c.advance();
  });

  it('NONE is never a valid vote or leader id', () => {
    expect(NONE).toBe(0);
    expect(() => newNode(0, [1])).toThrow(/id is 0; expected a positive integer/);
    expect(MemoryStorage.withMembers([1]).initialState().confState.voters).toEqual([1]);
  });
});
