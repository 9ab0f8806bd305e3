/**
 * Snapshots and log compaction: catch-up by snapshot, compaction that keeps
 * what followers need, stale and duplicate snapshots (scenarios 19-22).
 */
import { describe, expect, it } from 'vitest';
import { RaftUsageError, SnapshotTemporarilyUnavailableError } from './errors.js';
import { SnapshotStatus } from './raw-node.js';
import { ProgressState } from './tracker/progress.js';
import { TestCluster, logTerms } from './test-support/cluster.js';
import { drainAll, msg, newNode } from './test-support/single.js';
import { ConfChangeTransition, ConfChangeType } from './confchange/types.js';
import type { Ready } from './raw-node.js';
import { EntryType, type Message, MessageType, emptyConfState, message } from './types.js';
import { seededRandom } from './random.js';

describe('snapshots', () => {
  it('a follower far behind catches up by snapshot, then by log (scenario 20)', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 5 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 50; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.propose(1, 'after-snapshot');
    expect(c.member(1).storage.firstIndex()).toBeGreaterThan(40);
    c.restart(3);
    c.tickAll(3);
    expect(c.sentOfType(MessageType.Snap).filter((m) => m.to === 3)).toHaveLength(1);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    expect(c.appliedData(3).at(-1)).toBe('after-snapshot');
  });

  it('compacts without a snapshot and builds one only when a follower needs it (on-demand snapshots)', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 5 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 50; i++) c.propose(1, `w${i}`);
    c.reportCompactable(1);
    c.propose(1, 'after-compaction');
    const leader = c.member(1).storage;
    expect(leader.firstIndex()).toBeGreaterThan(40);
    // No snapshot covers the compacted log yet: storage cannot offer one.
    expect(() => leader.snapshot()).toThrow(SnapshotTemporarilyUnavailableError);
    c.restart(3);
    c.tickAll(3);
    // The leader asked for one (Ready.snapshotRequested), sent it, and the follower caught up.
    expect(leader.snapshot().metadata.index).toBeGreaterThanOrEqual(leader.firstIndex() - 1);
    expect(c.sentOfType(MessageType.Snap).filter((m) => m.to === 3)).toHaveLength(1);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    expect(c.appliedData(3).at(-1)).toBe('after-compaction');
  });

  it('refuses a compactable index beyond the applied index', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    const applied = c.node(1).raft.raftLog.applied;
    expect(() => c.node(1).reportCompactable(applied + 1)).toThrow(RaftUsageError);
  });

  it('keeps a tail of entries so a slightly lagging follower needs no snapshot (scenario 19)', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 20 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 10; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    c.restart(3);
    c.tickAll(3);
    expect(c.sentOfType(MessageType.Snap)).toHaveLength(0);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
  });

  it('a follower that installs slowly still converges while the leader writes and compacts (scenario 21)', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 20; i++) c.propose(1, `a${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    // Hold the snapshot message: the install is slow.
    const held: Message[] = [];
    const release = c.drop((m) => {
      if (m.type === MessageType.Snap && m.to === 3) {
        held.push(m);
        return true;
      }
      return false;
    });
    c.restart(3);
    c.tickAll(2);
    expect(held).toHaveLength(1);
    const pending = held[0]!.snapshot!.metadata.index;
    // Meanwhile the leader keeps writing and snapshotting...
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) c.propose(1, `b${round}-${i}`);
      c.takeSnapshot(1);
      c.stabilize();
      // ...but keeps the entries after the snapshot in flight.
      expect(c.member(1).storage.firstIndex()).toBeLessThanOrEqual(pending + 1);
    }
    release();
    c.node(3).step(held[0]!);
    c.stabilize();
    c.tickAll(3);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    expect(c.sentOfType(MessageType.Snap).filter((m) => m.to === 3)).toHaveLength(1);
  });

  it('a snapshot to an unreachable follower does not hold up replication to the others (scenario 22, openraft t90_issue_808)', () => {
    // Follower 2 (visited before 3) needs a snapshot; the transport sending
    // it hangs and never reports back; 2 is unreachable from then on.
    const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true, extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(2);
    for (let i = 0; i < 10; i++) c.propose(1, `a${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    c.restart(2);
    let unreachable = false;
    c.drop((m) => {
      if (m.to === 2 && m.type === MessageType.Snap) unreachable = true;
      return unreachable && (m.to === 2 || m.from === 2);
    });
    c.tickAll(2);
    expect(unreachable).toBe(true);
    const pr2 = c.node(1).raft.trk.progress.get(2)!;
    expect(pr2.state).toBe(ProgressState.Snapshot);
    const pending = pr2.pendingSnapshot;
    // The leader keeps replicating to 3 and committing: every write commits
    // as soon as it is proposed, without waiting for a tick.
    for (let i = 0; i < 30; i++) {
      c.propose(1, `b${i}`);
      const log = c.node(1).raft.raftLog;
      expect(log.committed, `write b${i}`).toBe(log.lastIndex());
      expect(c.appliedData(3).at(-1), `write b${i}`).toBe(`b${i}`);
      if (i % 5 === 4) {
        c.tickAll(1);
        // It compacts too, but keeps what 2 needs after its snapshot.
        c.takeSnapshot(1);
        c.stabilize();
        expect(c.member(1).storage.firstIndex()).toBeLessThanOrEqual(pending + 1);
      }
    }
    expect(c.leader()).toBe(1);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    // One snapshot, held; no retries piling up behind it.
    expect(c.sentOfType(MessageType.Snap)).toHaveLength(1);
    expect(pr2.state).toBe(ProgressState.Snapshot);
    // The transport finally gives up; 2 becomes reachable and catches up.
    c.node(1).reportSnapshot(2, SnapshotStatus.Failure);
    c.heal();
    c.tickAll(5);
    expect(c.appliedData(2)).toEqual(c.appliedData(1));
  });

  it('a snapshot replaces a longer conflicting log on the follower', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(3);
    c.propose(3, 'base');
    // Cut off, leader 3 appends entries that never commit.
    c.partition([1, 2], [3]);
    for (let i = 0; i < 30; i++) c.node(3).propose(new TextEncoder().encode(`lost${i}`));
    c.stabilize();
    c.elect(1);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    expect(c.node(3).raft.raftLog.lastIndex()).toBeGreaterThan(c.node(1).raft.raftLog.lastIndex());
    // The leader compacted everything 3 could match, so it must send a snapshot.
    c.heal();
    const held: Message[] = [];
    const release = c.drop((m) => {
      if (m.type !== MessageType.Snap || m.to !== 3) return false;
      held.push(m);
      return true;
    });
    c.tickAll(2);
    release();
    expect(held).toHaveLength(1);
    const snap = held[0]!.snapshot!.metadata;
    // When it arrives, 3's log is longer than the snapshot and conflicts with it there.
    const log3 = c.node(3).raft.raftLog;
    expect(log3.lastIndex()).toBeGreaterThan(snap.index);
    expect(log3.termOrZero(snap.index)).not.toBe(snap.term);
    c.node(3).step(held[0]!);
    c.stabilize();
    expect(c.member(3).storage.firstIndex()).toBe(snap.index + 1);
    c.tickAll(3);
    expect(c.sentOfType(MessageType.Snap).filter((m) => m.to === 3)).toHaveLength(1);
    expect(logTerms(c.node(3)).slice(snap.index)).toEqual(logTerms(c.node(1)).slice(snap.index));
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    expect(c.appliedData(3)).not.toContain('lost0');
  });

  it('ignores duplicate and stale snapshots', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    c.restart(3);
    c.tickAll(2);
    const snap = c.sentOfType(MessageType.Snap).find((m) => m.to === 3)!;
    const applied = c.appliedData(3);
    const before = c.sent.length;
    c.node(3).step(snap);
    c.stabilize();
    // The duplicate changes nothing and is answered with the commit index.
    expect(c.appliedData(3)).toEqual(applied);
    const answer = c.sent.slice(before).find((m) => m.type === MessageType.AppResp && m.from === 3)!;
    expect(answer.index).toBe(c.node(3).raft.raftLog.committed);
    expect(c.node(3).raft.restore(snap.snapshot!)).toBe(false);
  });

  it('ignores a stale snapshot that arrives after the follower moved on and compacted its own log', () => {
    // A snapshot at or below the commit index must never be installed: that
    // would move the commit index backwards and drop committed entries
    // (etcd's raft.restore: "snapshot index <= committed: ignore").
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    c.restart(3);
    c.tickAll(2);
    const old = c.sentOfType(MessageType.Snap).find((m) => m.to === 3)!;
    expect(old).toBeDefined();
    const oldIndex = old.snapshot!.metadata.index;
    // The follower moves on well past the snapshot and compacts its own log past it.
    for (let i = 0; i < 10; i++) c.propose(1, `x${i}`);
    c.takeSnapshot(3);
    c.stabilize();
    const f = c.node(3).raft.raftLog;
    expect(c.member(3).storage.firstIndex() - 1).toBeGreaterThan(oldIndex);
    const commit = f.committed;
    const last = f.lastIndex();
    const applied = c.appliedData(3);
    // The old snapshot message arrives late (a retransmission, a slow path).
    const before = c.sent.length;
    c.node(3).step(old);
    expect(f.committed).toBe(commit);
    expect(f.lastIndex()).toBe(last);
    expect(c.node(3).raft.raftLog.nextUnstableSnapshot()).toBeUndefined();
    c.stabilize();
    expect(f.committed).toBe(commit);
    expect(f.lastIndex()).toBe(last);
    expect(c.appliedData(3)).toEqual(applied);
    // It is answered with the commit index, so the leader keeps replicating from there.
    const answer = c.sent.slice(before).find((m) => m.type === MessageType.AppResp && m.from === 3)!;
    expect(answer).toMatchObject({ to: 1, index: commit, reject: false });
  });

  it('a snapshot that arrives while the follower still applies a configuration change takes effect after it', () => {
    // Memberships take effect in log order, when applied. Member 3 has been
    // handed the committed removal of 4 but not applied it yet when the
    // leader's snapshot arrives, taken after 4 was added back. Switching to
    // the snapshot's membership at once and then applying the removal on top
    // of it left 3 believing 4 removed, for good.
    const c = new TestCluster([1, 2, 3, 4], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.propose(1, 'a');
    c.node(1).proposeConfChange({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.RemoveNode, nodeId: 4 }], context: new Uint8Array() });
    // Run until 3 knows the removal is committed, then hold its Ready.
    let held: Ready | undefined;
    for (let i = 0; i < 20 && !held; i++) {
      for (const id of [1, 2, 3, 4]) c.processReady(id);
      c.deliverAll();
      const log3 = c.node(3).raft.raftLog;
      if (log3.committed > log3.applied && c.node(3).hasReady()) {
        const rd = c.takeReady(3);
        if (rd.committedEntries.some((e) => e.type === EntryType.ConfChange)) held = rd;
        else c.finishReady(3, rd);
      }
    }
    expect(held).toBeDefined();
    // Nothing more reaches 3 for now: it must catch up by the snapshot.
    const reconnect = c.drop((m) => m.to === 3);
    c.stabilize();
    expect(c.voters(1)).toEqual([1, 2, 3]);
    // 4 comes back; the leader writes on and compacts everything it applied.
    c.crash(4);
    c.confChange(1, [{ type: ConfChangeType.AddVoter, nodeId: 4 }]);
    c.propose(1, 'b');
    c.takeSnapshot(1);
    c.stabilize();
    const snapshot = c.member(1).storage.snapshot();
    expect(snapshot.metadata.confState.voters).toEqual([1, 2, 3, 4]);
    // Its snapshot reaches 3, which is still applying the removal.
    c.node(3).step(message({ type: MessageType.Snap, from: 1, to: 3, term: c.node(1).raft.term, snapshot }));
    expect(c.node(3).raft.raftLog.nextUnstableSnapshot()?.metadata.index).toBe(snapshot.metadata.index);
    c.finishReady(3, held!);
    reconnect();
    c.stabilize();
    c.restart(4);
    c.tickAll(3);
    for (const id of [1, 2, 3, 4]) expect(c.voters(id), `member ${id}`).toEqual([1, 2, 3, 4]);
    expect(c.member(3).storage.initialState().confState.voters).toEqual([1, 2, 3, 4]);
    expect(c.appliedData(3)).toEqual(['a', 'b']);
  });

  it('fast-forwards the commit index when its log already holds the snapshot entry', () => {
    const n = newNode(2, [1, 2]);
    n.step(msg({ type: MessageType.App, from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [1, 2, 3].map((i) => ({ index: i, term: 1, type: 0, data: new Uint8Array() })) }));
    drainAll(n);
    const s = { metadata: { index: 2, term: 1, confState: { ...emptyConfState(), voters: [1, 2] } }, data: new Uint8Array() };
    n.step(msg({ type: MessageType.Snap, from: 1, to: 2, term: 1, snapshot: s }));
    expect(n.raft.raftLog.committed).toBe(2);
    expect(n.raft.raftLog.lastIndex()).toBe(3);
    // A snapshot that does not name us is refused.
    const foreign = { metadata: { index: 9, term: 1, confState: { ...emptyConfState(), voters: [1, 3] } }, data: new Uint8Array() };
    expect(n.raft.restore(foreign)).toBe(false);
  });

  it('never compacts entries not yet applied, and says so if asked to', () => {
    const c = new TestCluster([1]);
    c.tickAll(25);
    c.propose(1, 'a');
    const applied = c.node(1).raft.raftLog.applied;
    expect(() => c.node(1).reportSnapshotTaken(applied + 1)).toThrow(RaftUsageError);
    expect(() => c.node(1).reportSnapshotTaken(applied + 1)).toThrow(`snapshot index ${applied + 1} is beyond the applied index ${applied}`);
  });

  it('a Ready that installs a snapshot asks for no compaction the snapshot already covers', () => {
    // Found by a randomized run: a follower reported its log compactable, then
    // a snapshot from the leader arrived before its next Ready. That Ready
    // carried both, and compacting (after installing the snapshot, as the
    // contract orders) to an index the snapshot had already discarded failed.
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    for (let i = 0; i < 3; i++) c.propose(1, `a${i}`);
    const reconnect3 = c.isolate(3);
    for (let i = 0; i < 10; i++) c.propose(1, `b${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    const snapshot = c.member(1).storage.snapshot();
    expect(snapshot.metadata.index).toBeGreaterThan(c.node(3).raft.raftLog.lastIndex());
    // 3 may discard what it applied; before its next Ready, the leader's snapshot arrives.
    c.reportCompactable(3);
    expect(c.node(3).raft.compactionIndex()).toBeGreaterThan(0);
    c.node(3).step(message({ type: MessageType.Snap, from: 1, to: 3, term: c.node(1).raft.term, snapshot }));
    const rd = c.takeReady(3);
    expect(rd.snapshot?.metadata.index).toBe(snapshot.metadata.index);
    expect(rd.compactTo).toBeUndefined();
    c.finishReady(3, rd);
    expect(c.member(3).storage.firstIndex()).toBe(snapshot.metadata.index + 1);
    reconnect3();
    c.tickAll(3);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
  });

  it('never compacts entries not yet applied: every Ready.compactTo <= the applied index, though the application reports indexes beyond it while a Ready is outstanding', () => {
    // Small apply batches keep the commit index ahead of what a Ready hands
    // out; no log tail is kept, so compaction follows every report at once.
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0, maxCommittedSizePerReady: 150 } });
    c.elect(1);
    const random = seededRandom(2024);
    const outstanding = new Map<number, Ready>();
    const snapsSent: Message[] = [];
    const seen = { compactions: 0, eagerReports: 0, refused: 0, installs: 0 };
    for (let step = 0; step < 1500; step++) {
      const leader = c.leader();
      if (leader !== undefined && random() < 0.4) {
        try {
          c.node(leader).propose(new TextEncoder().encode(`w${step}`.padEnd(20, '.')));
        } catch {
          // No leader for now, or a limit: the client retries later.
        }
      }
      // 3 goes down and comes back now and then, so it needs snapshots.
      if (random() < 0.01) {
        if (c.isDown(3)) {
          c.restart(3);
        } else {
          outstanding.delete(3);
          c.crash(3);
        }
      }
      for (const id of c.members.keys()) {
        if (c.isDown(id)) continue;
        const n = c.node(id);
        const log = n.raft.raftLog;
        const held = outstanding.get(id);
        if (held) {
          if (random() < 0.5) continue;
          outstanding.delete(id);
          c.finishReady(id, held);
          snapsSent.push(...held.messages.filter((m) => m.type === MessageType.Snap));
          // Reports of what it has applied now, as an application does.
          const report = random();
          if (report < 0.2) c.takeSnapshot(id);
          else if (report < 0.4) c.reportCompactable(id);
          continue;
        }
        if (!n.hasReady()) continue;
        const applied = log.applied;
        const rd = c.takeReady(id);
        if (rd.compactTo !== undefined) {
          expect(rd.compactTo, `member ${id}, step ${step}`).toBeLessThanOrEqual(applied);
          seen.compactions++;
        }
        if (rd.snapshot) seen.installs++;
        // While this Ready is outstanding, the application (eager, or
        // mistaken) reports indexes beyond what the core knows is applied:
        // this Ready's entries or snapshot, the commit index, the last index.
        const through = Math.max(rd.committedEntries.at(-1)?.index ?? 0, rd.snapshot?.metadata.index ?? 0);
        for (const index of [through, log.committed, log.lastIndex()]) {
          if (index <= applied) continue;
          seen.eagerReports++;
          try {
            if (random() < 0.5) n.reportCompactable(index);
            else n.reportSnapshotTaken(index);
          } catch (e) {
            expect(e).toBeInstanceOf(RaftUsageError);
            seen.refused++;
          }
        }
        outstanding.set(id, rd);
      }
      c.deliverAll();
      // The transport reports how each snapshot it was handed ended.
      for (const m of snapsSent.splice(0)) {
        if (!c.isDown(m.from)) c.node(m.from).reportSnapshot(m.to, c.isDown(m.to) ? SnapshotStatus.Failure : SnapshotStatus.Finish);
      }
      if (step % 3 === 0) for (const id of c.members.keys()) if (!c.isDown(id)) c.node(id).tick();
    }
    // The run compacted often, installed snapshots, and reported eagerly.
    expect(seen.compactions).toBeGreaterThan(50);
    expect(seen.installs).toBeGreaterThan(0);
    expect(seen.eagerReports).toBeGreaterThan(100);
    expect(seen.refused).toBe(seen.eagerReports);
    // And it stays live and consistent.
    if (c.isDown(3)) c.restart(3);
    for (const [id, rd] of outstanding) {
      c.finishReady(id, rd);
      snapsSent.push(...rd.messages.filter((m) => m.type === MessageType.Snap));
    }
    c.stabilize();
    for (const m of snapsSent) c.node(m.from).reportSnapshot(m.to, SnapshotStatus.Finish);
    c.tickAll(30);
    const leader = c.leader()!;
    c.propose(leader, 'last');
    c.tickAll(3);
    for (const id of [1, 2, 3]) expect(c.appliedData(id), `member ${id}`).toEqual(c.appliedData(leader));
  });

  it('probes again after a failed snapshot, and after a successful one (reportSnapshot)', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.crash(3);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    c.takeSnapshot(1);
    c.stabilize();
    c.restart(3);
    const release = c.drop((m) => m.type === MessageType.Snap);
    c.tickAll(2);
    const pr = c.node(1).raft.trk.progress.get(3)!;
    expect(pr.state).toBe(ProgressState.Snapshot);
    c.node(1).reportSnapshot(3, SnapshotStatus.Failure);
    expect(pr.state).toBe(ProgressState.Probe);
    expect(pr.pendingSnapshot).toBe(0);
    release();
    c.tickAll(3);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    c.node(1).reportSnapshot(3, SnapshotStatus.Finish);
    expect(pr.state).toBe(ProgressState.Replicate);
  });

  it('requests a fresh snapshot when the latest one predates a new member', () => {
    const c = new TestCluster([1, 2, 3], { extra: { logTailAfterSnapshot: 0 } });
    c.elect(1);
    c.propose(1, 'a');
    c.takeSnapshot(1);
    c.stabilize();
    const firstSnapshot = c.member(1).storage.snapshot().metadata.index;
    c.addMember(4);
    c.confChange(1, [{ type: 2, nodeId: 4 }]);
    c.tickAll(3);
    // The old snapshot does not list 4, so a new one was taken and sent.
    const sent = c.sentOfType(MessageType.Snap).filter((m) => m.to === 4);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]!.snapshot!.metadata.index).toBeGreaterThan(firstSnapshot);
    expect(c.appliedData(4)).toEqual(['a']);
  });
});
