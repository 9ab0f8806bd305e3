import { StateRole } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageCluster } from './test-support/cluster.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
let cluster: StorageCluster | undefined;
afterEach(async () => {
  for (const m of cluster?.members.values() ?? []) await m.storage.close();
  cluster = undefined;
  dirs.cleanup();
});

function propose(c: StorageCluster, leader: number, from: number, to: number): void {
  const node = c.member(leader).node;
  for (let i = from; i < to; i++) node.propose(Buffer.from(`k${i}=v${i}`));
}

describe('RawNode on LMDB storage', () => {
  it('replicates, catches a lagging member up from a streamed snapshot, and survives a restart', async () => {
    const dataDirs = new Map([1, 2, 3].map((id) => [id, dirs.make()]));
    const c = (cluster = await StorageCluster.start([1, 2, 3], (id) => dataDirs.get(id)!));
    c.member(1).node.campaign();
    await c.settle();
    expect(c.member(1).node.raft.state).toBe(StateRole.Leader);

    propose(c, 1, 0, 50);
    await c.settle();
    for (const id of [2, 3]) expect(c.state(id)).toEqual(c.state(1));
    expect(c.state(1).size).toBe(50);

    // Member 3 falls behind while the others move on and compact their logs.
    c.isolate(3);
    propose(c, 1, 50, 400);
    await c.settle();
    for (const id of [1, 2]) {
      const { storage } = c.member(id);
      const snapshot = await storage.stateMachine.createSnapshot();
      await storage.log.compact(snapshot.metadata.index);
      expect(storage.log.firstIndex()).toBe(snapshot.metadata.index + 1);
    }
    const behind = c.member(3).storage;
    expect(behind.stateMachine.appliedIndex()).toBeLessThan(c.member(1).storage.log.firstIndex() - 1);

    // Back in touch, it can only catch up from a snapshot: the entries it misses are gone.
    c.heal();
    await c.tick(3);
    const leaderSnapshot = c.member(1).storage.log.snapshot().metadata;
    expect(behind.log.firstIndex()).toBe(leaderSnapshot.index + 1);
    expect(behind.stateMachine.appliedIndex()).toBe(c.member(1).storage.stateMachine.appliedIndex());
    expect(c.state(3)).toEqual(c.state(1));
    expect(c.state(3).size).toBe(400);

    // A restart resumes from the durable state, without re-applying.
    await c.stopMember(3);
    await c.startMember(3, dataDirs.get(3)!);
    propose(c, 1, 400, 420);
    await c.settle();
    await c.tick(2);
    for (const id of [2, 3]) expect(c.state(id)).toEqual(c.state(1));
    expect(c.state(3).size).toBe(420);
    for (const id of [1, 2, 3]) expect(c.member(id).storage.log.checkIntegrity().lastIndex).toBe(c.member(1).storage.log.lastIndex());
  });
});
