/**
 * Membership changes (Raft thesis §4): single-member changes, joint
 * consensus, learners. Scenario numbers refer to ../shared/SCENARIOS.md.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfChange } from './confchange/codec.js';
import { ConfChangeTransition, ConfChangeType, isLeaveJoint } from './confchange/types.js';
import { ProposalDroppedError } from './errors.js';
import type { RawNode, Ready } from './raw-node.js';
import { TestCluster } from './test-support/cluster.js';
import { type Entry, EntryType, type Message, MessageType, StateRole } from './types.js';
import { voteResponseType } from './util.js';

const enc = (s: string) => new TextEncoder().encode(s);
const voter = (nodeId: number) => ({ type: ConfChangeType.AddVoter, nodeId });
const learner = (nodeId: number) => ({ type: ConfChangeType.AddLearner, nodeId });
const remove = (nodeId: number) => ({ type: ConfChangeType.RemoveNode, nodeId });

/** Proposes adding learner `nodeId` on `node`, which must refuse it because a change is pending; returns the refusal. */
function refusedAsPending(node: RawNode, nodeId: number): ProposalDroppedError {
  let err: unknown;
  try {
    node.proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [learner(nodeId)], context: new Uint8Array() });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProposalDroppedError);
  expect((err as ProposalDroppedError).reason).toBe('conf-change-pending');
  return err as ProposalDroppedError;
}

function sameData(c: TestCluster, ids: number[]): void {
  const want = c.appliedData(ids[0]!);
  for (const id of ids) expect(c.appliedData(id), `member ${id}`).toEqual(want);
}

/**
 * Runs the cluster until member `id` is handed a Ready that applies a
 * configuration change, and returns that Ready unhandled: `id` then knows
 * the change is committed but has not applied it. Its other Readies are
 * handled as usual.
 */
function holdConfChangeReady(c: TestCluster, id: number): Ready {
  for (let round = 0; round < 100; round++) {
    for (const other of c.members.keys()) if (other !== id) while (c.processReady(other));
    while (c.node(id).hasReady()) {
      const rd = c.takeReady(id);
      if (rd.committedEntries.some((e) => e.type === EntryType.ConfChange)) return rd;
      c.finishReady(id, rd);
    }
    c.deliverAll();
  }
  throw new Error(`member ${id} was never handed a configuration change to apply`);
}

const isCampaignRequest = (m: Message) => m.type === MessageType.Vote || m.type === MessageType.PreVote;

describe('membership', () => {
  it('grows 1 -> 3 -> 5 under load, every new member catching up from a snapshot', () => {
    // No log tail is kept behind a snapshot, so a new member cannot catch up from the log.
    const c = new TestCluster([1], { preVote: true, checkQuorum: true, extra: { logTailAfterSnapshot: 0 } });
    c.tickAll(25);
    expect(c.leader()).toBe(1);
    const written: string[] = [];
    // The load: every round the leader takes three more writes, also while
    // a change commits and the new member installs its snapshot.
    const load = (rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 3; i++) {
          const w = `w${written.length}`;
          c.node(c.leader()!).propose(enc(w));
          written.push(w);
        }
        c.tickAll(1);
      }
    };
    for (const id of [2, 3, 4, 5]) {
      load(3);
      // The leader compacts everything applied; its latest snapshot predates the new member.
      c.takeSnapshot(c.leader()!);
      c.stabilize();
      const leader = c.leader()!;
      expect(c.member(leader).storage.firstIndex()).toBe(c.node(leader).raft.raftLog.applied + 1);
      c.addMember(id);
      c.node(leader).proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [voter(id)], context: new Uint8Array() });
      load(4);
      expect(c.voters(leader)).toContain(id);
      // It caught up from a snapshot taken after it was added, then from the log.
      const snaps = c.sentOfType(MessageType.Snap).filter((m) => m.to === id);
      expect(snaps, `member ${id}`).toHaveLength(1);
      expect(snaps[0]!.snapshot!.metadata.confState.voters).toContain(id);
      expect(c.appliedData(id), `member ${id}`).toEqual(c.appliedData(leader));
    }
    c.tickAll(5);
    for (const id of [1, 2, 3, 4, 5]) expect(c.voters(id)).toEqual([1, 2, 3, 4, 5]);
    sameData(c, [1, 2, 3, 4, 5]);
    expect(c.appliedData(5)).toEqual(written);
  });

  it('shrinks 5 -> 3; the removed members no longer count', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    c.elect(1);
    c.propose(1, 'a');
    c.confChange(1, [remove(5)]);
    c.confChange(1, [remove(4)]);
    expect(c.voters(1)).toEqual([1, 2, 3]);
    c.crash(4);
    c.crash(5);
    c.crash(3);
    // 1 and 2 are a majority of {1,2,3}.
    c.propose(1, 'b');
    expect(c.appliedData(2)).toEqual(['a', 'b']);
  });

  it('a removed leader steps down once the change is applied, and the others elect a new one (scenario 24)', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    c.propose(1, 'a');
    c.confChange(1, [remove(1)]);
    expect(c.node(1).raft.state).toBe(StateRole.Follower);
    c.crash(1);
    c.tickAll(40);
    const leader = c.leader();
    expect(leader === 2 || leader === 3).toBe(true);
    c.propose(leader!, 'b');
    sameData(c, [2, 3]);
    expect(c.voters(2)).toEqual([2, 3]);
  });

  it('removes a member and re-adds it under the same id with empty storage', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    c.confChange(1, [remove(3)]);
    c.crash(3);
    c.propose(1, 'b');
    c.addMember(3);
    c.confChange(1, [voter(3)]);
    c.propose(1, 'c');
    c.tickAll(3);
    sameData(c, [1, 2, 3]);
    expect(c.appliedData(3)).toEqual(['a', 'b', 'c']);
  });

  it('a member restarted from its storage knows the membership it applied (issue 4: membership is durable)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.addMember(4);
    c.addMember(5);
    c.confChange(1, [voter(4)]);
    c.confChange(1, [remove(3)]);
    c.confChange(1, [learner(5)]);
    c.propose(1, 'a');
    expect(c.node(2).status().config).toMatchObject({ voters: [1, 2, 4], learners: [5] });
    // Restarted with its applied index, 2 replays none of the changes: the
    // membership can only come from what its storage saved.
    c.crash(2);
    c.restart(2);
    expect(c.node(2).status().config).toMatchObject({ voters: [1, 2, 4], learners: [5], votersOutgoing: [] });
    expect(c.node(2).raft.trk.progress.has(3)).toBe(false);
    // It acts on it: with 1 gone, 2 and 4 are a quorum of {1, 2, 4} and 3's vote is not asked for.
    c.crash(1);
    const before = c.sent.length;
    c.elect(2);
    expect(c.leader()).toBe(2);
    expect(c.sent.slice(before).filter((m) => m.type === MessageType.Vote).map((m) => m.to).sort()).toEqual([1, 4]);
    c.propose(2, 'b');
    sameData(c, [2, 4, 5]);
  });

  it('a member that missed a change catches up from a snapshot that contains it', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(3);
    c.addMember(4);
    c.confChange(1, [voter(4)]);
    for (let i = 0; i < 10; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    expect(c.member(1).storage.firstIndex()).toBeGreaterThan(5);
    c.restart(3);
    c.tickAll(3);
    expect(c.voters(3)).toEqual([1, 2, 3, 4]);
    sameData(c, [1, 2, 3, 4]);
  });

  it('a learner receives the log but never counts toward a quorum; it can be promoted while lagging (scenario 23)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.addMember(4);
    c.confChange(1, [learner(4)]);
    c.propose(1, 'a');
    expect(c.appliedData(4)).toEqual(['a']);
    expect(c.node(1).raft.trk.learnerIds()).toEqual([4]);
    // With 2 and 3 down, 1 and the learner are not a quorum.
    c.crash(2);
    c.crash(3);
    c.node(1).propose(enc('b'));
    c.tickAll(3);
    expect(c.appliedData(1)).toEqual(['a']);
    // A learner never campaigns.
    c.tick(4, 100);
    expect(c.node(4).raft.state).toBe(StateRole.Follower);
    c.restart(2);
    c.restart(3);
    c.tickAll(3);
    // Promote the learner while it lags (it is down).
    c.crash(4);
    for (let i = 0; i < 5; i++) c.propose(1, `c${i}`);
    c.confChange(1, [voter(4)]);
    expect(c.voters(1)).toEqual([1, 2, 3, 4]);
    c.restart(4);
    c.tickAll(3);
    sameData(c, [1, 2, 3, 4]);
  });

  it('learners never count toward a quorum, however many of them are up (scenario 23)', () => {
    // Voters 1 2 3, learners 4 5. With 2 and 3 down, the leader and both
    // learners hold the entry: three of five members, but one of three voters.
    const c = new TestCluster([1, 2, 3, 4, 5], { learners: [4, 5] });
    c.elect(1);
    c.propose(1, 'a');
    expect(c.node(1).raft.trk.learnerIds()).toEqual([4, 5]);
    c.crash(2);
    c.crash(3);
    const committed = c.node(1).raft.raftLog.committed;
    c.node(1).propose(enc('b'));
    c.tickAll(5);
    const last = c.node(1).raft.raftLog.lastIndex();
    // Both learners acknowledged the entry...
    for (const id of [4, 5]) expect(c.node(1).raft.trk.progress.get(id)!.match, `learner ${id}`).toBe(last);
    // ...and still nothing commits.
    expect(c.node(1).raft.raftLog.committed).toBe(committed);
    for (const id of [1, 4, 5]) expect(c.appliedData(id), `member ${id}`).toEqual(['a']);
    // A voter coming back makes the quorum: now it commits.
    c.restart(2);
    c.tickAll(3);
    for (const id of [1, 2, 4, 5]) expect(c.appliedData(id), `member ${id}`).toEqual(['a', 'b']);
  });

  it('refuses a second change while one is pending, clearly (scenario 26)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.crash(2);
    c.crash(3);
    c.node(1).proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [learner(4)], context: new Uint8Array() });
    expect(refusedAsPending(c.node(1), 5).message).toMatch(/a configuration change at index \d+ is not applied yet .* only one may be pending at a time/);
  });

  it('replaces members through a joint configuration that is left automatically (scenario 25)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    c.propose(1, 'a');
    c.addMember(4);
    c.addMember(5);
    c.confChange(1, [voter(4), voter(5), remove(2), remove(3)]);
    c.tickAll(2);
    expect(c.node(1).raft.trk.config.voters.isJoint).toBe(false);
    expect(c.voters(1)).toEqual([1, 4, 5]);
    c.crash(2);
    c.crash(3);
    c.propose(1, 'b');
    sameData(c, [1, 4, 5]);
  });

  it('a joint change that loses its leader mid-way is completed by the next leader (scenario 25)', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    c.addMember(4);
    // Let the joint entry commit everywhere, but lose the leader's automatic
    // "leave joint" entry and then the leader itself.
    const isLeave = (e: Entry) => e.type === EntryType.ConfChange && isLeaveJoint(decodeConfChange(e.data));
    const unblock = c.drop((m) => m.from === 1 && m.entries.some(isLeave));
    c.confChange(1, [voter(4), remove(1)], ConfChangeTransition.JointImplicit);
    for (const id of [2, 3]) expect(c.node(id).raft.trk.config.voters.isJoint, `member ${id}`).toBe(true);
    c.crash(1);
    unblock();
    c.tickAll(60);
    expect([2, 3, 4]).toContain(c.leader());
    for (const id of [2, 3, 4]) {
      expect(c.node(id).raft.trk.config.voters.isJoint, `member ${id}`).toBe(false);
      expect(c.voters(id)).toEqual([2, 3, 4]);
    }
  });

  it('a removed member cannot disrupt the cluster with vote requests (scenario 27)', () => {
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
    c.elect(1);
    const heal = c.isolate(3);
    c.confChange(1, [remove(3)]);
    expect(c.voters(1)).toEqual([1, 2]);
    const term = c.node(1).raft.term;
    c.tick(3, 300);
    heal();
    c.tickAll(30);
    expect(c.leader()).toBe(1);
    expect(c.node(1).raft.term).toBe(term);
  });

  it('a removed member cannot disrupt the cluster with higher-term votes: CheckQuorum without PreVote (scenario 27, hashicorp FollowerRemovalNoElection)', () => {
    // Without PreVote the removed member raises its term with every
    // election it starts; only the leader lease (members that hear from a
    // leader ignore vote requests, thesis §4.2.3) keeps it from deposing the leader.
    const c = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: true });
    c.elect(1);
    c.propose(1, 'a');
    const heal = c.isolate(3);
    c.confChange(1, [remove(3)]);
    expect(c.voters(1)).toEqual([1, 2]);
    // 3 never learns it was removed, so it keeps campaigning.
    expect(c.voters(3)).toEqual([1, 2, 3]);
    const term = c.node(1).raft.term;
    c.tick(3, 100);
    expect(c.node(3).raft.term).toBeGreaterThan(term + 3);
    heal();
    const votesBefore = c.sentOfType(MessageType.Vote).filter((m) => m.from === 3).length;
    for (let i = 0; i < 30; i++) {
      c.tickAll(1);
      expect(c.leader()).toBe(1);
      expect(c.node(1).raft.term).toBe(term);
      expect(c.node(2).raft.term).toBe(term);
    }
    // It did keep asking, at ever higher terms, and was ignored.
    expect(c.sentOfType(MessageType.Vote).filter((m) => m.from === 3).length).toBeGreaterThan(votesBefore);
    c.propose(1, 'b');
    sameData(c, [1, 2]);
  });
  it('a learner grants its vote: it may be a voter in a configuration it has not applied yet (scenario 23, etcd campaign_learner_must_vote)', () => {
    // Voters 1 and 2, learner 3.
    const c = new TestCluster([1, 2, 3], { learners: [3] });
    c.elect(1);
    // 3 is promoted; the change commits and is applied on 1 and 2 while
    // nothing reaches 3, which does not even hold it in its log.
    const reconnect3 = c.drop((m) => m.to === 3);
    c.confChange(1, [voter(3)]);
    for (const id of [1, 2]) expect(c.voters(id), `member ${id}`).toEqual([1, 2, 3]);
    expect(c.voters(3)).toEqual([1, 2]);
    expect(c.node(3).raft.isLearner).toBe(true);
    expect(c.node(3).raft.raftLog.lastIndex()).toBeLessThan(c.node(2).raft.raftLog.lastIndex());
    // 1 dies and 2 campaigns. Of the voters {1, 2, 3} only 3 can answer: it
    // must vote, or the cluster stays leaderless with a quorum up.
    c.crash(1);
    reconnect3();
    const before = c.sent.length;
    c.elect(2);
    expect(c.leader()).toBe(2);
    const answers = c.sent.slice(before).filter((m) => m.type === MessageType.VoteResp && m.from === 3);
    expect(answers).toEqual([expect.objectContaining({ to: 2, reject: false })]);
    // The new leader catches 3 up; 3 applies its own promotion and counts.
    expect(c.voters(3)).toEqual([1, 2, 3]);
    expect(c.node(3).raft.isLearner).toBe(false);
    c.propose(2, 'after');
    sameData(c, [2, 3]);
    expect(c.appliedData(3)).toEqual(['after']);
  });

  for (const preVote of [false, true]) {
    it(`a learner's ${preVote ? 'pre-vote' : 'vote'} never counts toward an election quorum: learners plus a minority of voters do not elect (scenario 23)`, () => {
      // Voters 1 2 3, learners 4 5. With 2 and 3 down, the candidate and
      // both learners are three of five members, but one of three voters.
      const c = new TestCluster([1, 2, 3, 4, 5], { learners: [4, 5], preVote });
      c.crash(2);
      c.crash(3);
      c.elect(1);
      const candidate = preVote ? StateRole.PreCandidate : StateRole.Candidate;
      expect(c.node(1).raft.state).toBe(candidate);
      // The candidate asks only voters. Its request reaches the learners
      // anyway (as it would a learner it believes promoted), and both grant.
      const request = c.sent.find((m) => isCampaignRequest(m) && m.from === 1 && m.to === 2)!;
      expect(request).toBeDefined();
      const before = c.sent.length;
      for (const learnerId of [4, 5]) c.node(learnerId).step({ ...request, to: learnerId });
      c.stabilize();
      // Counted, they make no quorum of voters.
      expect(c.node(1).raft.state).toBe(candidate);
      expect(c.leader()).toBeUndefined();
      const grants = c.sent.slice(before).filter((m) => m.type === voteResponseType(request.type) && m.to === 1 && !m.reject);
      expect(grants.map((m) => m.from).sort()).toEqual([4, 5]);
      expect([4, 5].map((id) => c.node(1).raft.trk.votes.get(id))).toEqual([true, true]);
      // One voter's grant does: 2 comes back and gets the same request.
      c.restart(2);
      c.node(2).step({ ...request });
      c.stabilize();
      expect(c.leader()).toBe(1);
    });
  }

  it('a new leader treats an unapplied change in its log as pending and refuses a second one (scenario 26, etcd TestNewLeaderPendingConfig)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    // A change reaches every log but never commits: the acknowledgements
    // are lost, then the leader dies.
    const restoreAcks = c.drop((m) => m.type === MessageType.AppResp);
    c.node(1).proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [learner(4)], context: new Uint8Array() });
    c.stabilize();
    const changeIndex = c.node(1).raft.raftLog.lastIndex();
    expect(c.node(2).raft.raftLog.lastIndex()).toBe(changeIndex);
    expect(c.node(2).raft.raftLog.committed).toBeLessThan(changeIndex);
    c.crash(1);
    restoreAcks();
    // 2 wins the next election; its appends are held, so the change is
    // neither committed nor applied on it yet.
    const releaseAppends = c.drop((m) => m.type === MessageType.App);
    c.elect(2);
    expect(c.leader()).toBe(2);
    expect(c.node(2).raft.raftLog.applied).toBeLessThan(changeIndex);
    expect(refusedAsPending(c.node(2), 5).message).toMatch(new RegExp(`a configuration change at index ${changeIndex} is not applied yet`));
    expect(c.node(2).raft.pendingConfIndex).toBe(changeIndex);
    // Once the inherited change is applied, the next one is taken.
    releaseAppends();
    c.tickAll(2);
    expect(c.node(2).raft.trk.learnerIds()).toEqual([4]);
    c.confChange(2, [learner(5)]);
    for (const id of [2, 3]) expect(c.node(id).raft.trk.learnerIds(), `member ${id}`).toEqual([4, 5]);
  });

  it('a member with a committed but unapplied change does not campaign, on TimeoutNow or on timeout (scenario 26, etcd TestConfChangeCheckBeforeCampaign)', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    const term = c.node(1).raft.term;
    c.node(1).proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [learner(4)], context: new Uint8Array() });
    // 2 knows the change is committed and is slow to apply it.
    const held = holdConfChangeReady(c, 2);
    c.stabilize();
    const log2 = c.node(2).raft.raftLog;
    expect(log2.committed).toBeGreaterThan(log2.applied);
    // It has every entry, so a transfer to it sends TimeoutNow at once; it does not campaign.
    c.node(1).transferLeader(2);
    c.stabilize();
    expect(c.sentOfType(MessageType.TimeoutNow).filter((m) => m.to === 2)).toHaveLength(1);
    expect(c.node(2).raft.state).toBe(StateRole.Follower);
    expect(c.node(2).raft.term).toBe(term);
    expect(c.leader()).toBe(1);
    c.tick(1, 10);
    expect(c.node(1).status().lastTransfer).toMatchObject({ to: 2, outcome: 'aborted-timeout' });
    // The leader dies: 2's election timeout passes many times over, and still no campaign.
    c.crash(1);
    c.tick(2, 60);
    expect(c.node(2).raft.state).toBe(StateRole.Follower);
    expect(c.node(2).raft.term).toBe(term);
    // Once it has applied the change, it campaigns and wins with 3.
    c.finishReady(2, held);
    expect(c.node(2).raft.trk.learnerIds()).toEqual([4]);
    c.tick(2, 30);
    expect(c.leader()).toBe(2);
    expect(c.node(2).raft.term).toBeGreaterThan(term);
  });
});
