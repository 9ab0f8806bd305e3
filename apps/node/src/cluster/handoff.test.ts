import { ProgressState, type ProgressStatus, type RaftNode, type RaftNodeStatus, StateRole } from '@raftkit/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { handOffLeadership, transferTarget } from './handoff.js';

const progress = (match: number, extra: Partial<ProgressStatus> = {}): ProgressStatus =>
  ({ match, next: match + 1, state: ProgressState.Replicate, isLearner: false, recentActive: true, paused: false, inflightMessages: 0, ...extra }) as ProgressStatus;

function leaderStatus(voters: number[], peers: Array<[number, ProgressStatus]>, learners: number[] = []): RaftNodeStatus {
  return {
    id: 1,
    role: StateRole.Leader,
    config: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
    progress: new Map([[1, progress(100)], ...peers]),
  } as unknown as RaftNodeStatus;
}

describe('transferTarget', () => {
  it('picks the other voter with the most of the log, the lowest id among equals', () => {
    expect(transferTarget(leaderStatus([1, 2, 3], [[2, progress(90)], [3, progress(99)]]))).toBe(3);
    expect(transferTarget(leaderStatus([1, 2, 3], [[2, progress(99)], [3, progress(99)]]))).toBe(2);
  });

  it('passes over learners and voters not heard from lately', () => {
    const s = leaderStatus([1, 2, 3], [[2, progress(50)], [3, progress(100, { recentActive: false })], [4, progress(100, { isLearner: true })]], [4]);
    expect(transferTarget(s)).toBe(2);
    expect(transferTarget(leaderStatus([1, 2], [[2, progress(100, { recentActive: false })]]))).toBeUndefined();
  });

  it('has no target for a follower or a leader alone', () => {
    expect(transferTarget({ ...leaderStatus([1, 2], [[2, progress(1)]]), role: StateRole.Follower })).toBeUndefined();
    expect(transferTarget(leaderStatus([1], []))).toBeUndefined();
  });
});

describe('handOffLeadership', () => {
  const logger = pino({ level: 'silent' });
  const fakeNode = (status: RaftNodeStatus, transfer: (to: number, ms: number) => Promise<void>) => {
    const calls: Array<[number, number]> = [];
    const node = {
      failed: undefined,
      status: () => status,
      transferLeadership: (to: number, ms: number) => {
        calls.push([to, ms]);
        return transfer(to, ms);
      },
    } as unknown as RaftNode<unknown>;
    return { node, calls };
  };
  const never = new Promise<void>(() => {});

  it('transfers to the target and waits for it to lead', async () => {
    const { node, calls } = fakeNode(leaderStatus([1, 2, 3], [[2, progress(99)], [3, progress(100)]]), () => Promise.resolve());
    await handOffLeadership(node, logger, 1234, never);
    expect(calls).toEqual([[3, 1234]]);
  });

  it('stops waiting when forced, and never throws', async () => {
    const forced = fakeNode(leaderStatus([1, 2], [[2, progress(100)]]), () => never);
    await handOffLeadership(forced.node, logger, 5000, Promise.resolve());
    expect(forced.calls).toHaveLength(1);
    const failing = fakeNode(leaderStatus([1, 2], [[2, progress(100)]]), () => Promise.reject(new Error('transfer-failed')));
    await expect(handOffLeadership(failing.node, logger, 5000, never)).resolves.toBeUndefined();
  });

  it('does nothing on a follower or a single voter', async () => {
    const follower = fakeNode({ ...leaderStatus([1, 2, 3], [[2, progress(1)]]), role: StateRole.Follower }, () => Promise.resolve());
    await handOffLeadership(follower.node, logger, 5000, never);
    const alone = fakeNode(leaderStatus([1], []), () => Promise.resolve());
    await handOffLeadership(alone.node, logger, 5000, never);
    expect([...follower.calls, ...alone.calls]).toEqual([]);
  });
});
