import { describe, expect, it } from 'vitest';
import { ConfChangeError } from '../errors.js';
import { seededRandom } from '../random.js';
import { ProgressTracker, confStateOf } from '../tracker/tracker.js';
import { Changer, restoreConfState } from './changer.js';
import { ConfChangeDecodeError, decodeConfChange, encodeConfChange } from './codec.js';
import { type ConfChangeSingle, ConfChangeTransition, ConfChangeType, enterJoint, isLeaveJoint } from './types.js';

const add = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.AddVoter, nodeId });
const learner = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.AddLearner, nodeId });
const remove = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId });

function tracker(): ProgressTracker {
  return new ProgressTracker(10, 1 << 20);
}

function apply(t: ProgressTracker, f: (c: Changer) => ReturnType<Changer['simple']>): void {
  const r = f(new Changer(t, 10));
  t.config = r.config;
  t.progress = r.progress;
}

describe('Changer', () => {
  it('adds and removes one voter at a time without a joint configuration', () => {
    const t = tracker();
    apply(t, (c) => c.simple([add(1)]));
    apply(t, (c) => c.simple([add(2)]));
    apply(t, (c) => c.simple([add(3)]));
    expect(t.voterIds()).toEqual([1, 2, 3]);
    expect(t.progress.get(3)!.next).toBe(10);
    apply(t, (c) => c.simple([remove(2)]));
    expect(t.voterIds()).toEqual([1, 3]);
    expect(t.progress.has(2)).toBe(false);
    expect(() => new Changer(t, 10).simple([add(4), add(5)])).toThrow('invalid configuration change: more than one voter changed without entering a joint configuration');
    expect(() => new Changer(t, 10).simple([remove(1), remove(3)])).toThrow(/removes every voter/);
  });

  it('replaces voters through a joint configuration and leaves it', () => {
    const t = tracker();
    for (const id of [1, 2, 3]) apply(t, (c) => c.simple([add(id)]));
    apply(t, (c) => c.enterJoint(true, [add(4), add(5), remove(1), remove(2)]));
    expect(confStateOf(t.config)).toEqual({ voters: [3, 4, 5], votersOutgoing: [1, 2, 3], learners: [], learnersNext: [], autoLeave: true });
    // Outgoing voters keep their progress while joint.
    expect(t.progress.has(1)).toBe(true);
    expect(() => new Changer(t, 10).enterJoint(false, [add(6)])).toThrow(/already joint/);
    expect(() => new Changer(t, 10).simple([add(6)])).toThrow(/simple change to a joint configuration/);
    apply(t, (c) => c.leaveJoint());
    expect(confStateOf(t.config)).toEqual({ voters: [3, 4, 5], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
    expect(t.progress.has(1)).toBe(false);
    expect(() => new Changer(t, 10).leaveJoint()).toThrow(/not joint/);
  });

  it('demotes a voter to learner through learnersNext, and promotes learners', () => {
    const t = tracker();
    for (const id of [1, 2, 3]) apply(t, (c) => c.simple([add(id)]));
    apply(t, (c) => c.simple([learner(4)]));
    expect(t.learnerIds()).toEqual([4]);
    expect(t.progress.get(4)!.isLearner).toBe(true);
    apply(t, (c) => c.enterJoint(false, [learner(3), add(4)]));
    expect(t.config.learnersNext.has(3)).toBe(true);
    expect(t.progress.get(3)!.isLearner).toBe(false);
    expect(t.progress.get(4)!.isLearner).toBe(false);
    apply(t, (c) => c.leaveJoint());
    expect(t.voterIds()).toEqual([1, 2, 4]);
    expect(t.learnerIds()).toEqual([3]);
    expect(t.progress.get(3)!.isLearner).toBe(true);
    // Adding an existing learner again changes nothing; updates change nothing.
    apply(t, (c) => c.simple([learner(3), { type: ConfChangeType.UpdateNode, nodeId: 1 }, { type: ConfChangeType.AddVoter, nodeId: 0 }]));
    expect(t.learnerIds()).toEqual([3]);
    expect(() => new Changer(t, 10).enterJoint(false, [{ type: 9 as ConfChangeType, nodeId: 1 }])).toThrow(ConfChangeError);
  });

  it('restores any reachable configuration exactly from its ConfState', () => {
    const random = seededRandom(3);
    for (let round = 0; round < 300; round++) {
      const t = tracker();
      for (const id of [1, 2, 3]) apply(t, (c) => c.simple([add(id)]));
      for (let step = 0; step < 6; step++) {
        const id = 1 + Math.floor(random() * 7);
        const kind = Math.floor(random() * 3) as ConfChangeType;
        try {
          if (t.config.voters.isJoint) apply(t, (c) => c.leaveJoint());
          else if (random() < 0.5) apply(t, (c) => c.enterJoint(random() < 0.5, [{ type: kind, nodeId: id }, add(1 + Math.floor(random() * 7))]));
          else apply(t, (c) => c.simple([{ type: kind, nodeId: id }]));
        } catch (e) {
          expect(e).toBeInstanceOf(ConfChangeError);
        }
      }
      const cs = confStateOf(t.config);
      const restored = restoreConfState(tracker(), 10, cs);
      expect(confStateOf(restored.config)).toEqual(cs);
      for (const [id, pr] of t.progress) expect(restored.progress.get(id)?.isLearner).toBe(pr.isLearner);
    }
  });
});

describe('conf change encoding', () => {
  it('round-trips every field', () => {
    const cc = {
      transition: ConfChangeTransition.JointExplicit,
      changes: [add(1), remove(300), learner(2 ** 40)],
      context: new TextEncoder().encode('{"peer":"10.0.0.1:2380"}'),
    };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(isLeaveJoint(decodeConfChange(new Uint8Array()))).toBe(true);
  });

  it('rejects bytes it cannot read, saying why', () => {
    expect(() => decodeConfChange(new Uint8Array([2]))).toThrow('cannot decode conf change: unknown version 2, expected 1');
    expect(() => decodeConfChange(new Uint8Array([1, 0, 3]))).toThrow(ConfChangeDecodeError);
    expect(() => decodeConfChange(new Uint8Array([1, 7]))).toThrow(/unknown transition 7/);
    expect(() => decodeConfChange(new Uint8Array([1, 0, 1, 9, 1, 0]))).toThrow(/unknown change type 9/);
    expect(() => decodeConfChange(new Uint8Array([1, 0, 0, 5, 1]))).toThrow(/context of 5 bytes/);
    expect(() => decodeConfChange(new Uint8Array([1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(/varint too long/);
  });

  it('classifies transitions', () => {
    expect(enterJoint({ transition: ConfChangeTransition.Auto, changes: [add(1)], context: new Uint8Array() })).toEqual({ joint: false, autoLeave: false });
    expect(enterJoint({ transition: ConfChangeTransition.Auto, changes: [add(1), add(2)], context: new Uint8Array() })).toEqual({ joint: true, autoLeave: true });
    expect(enterJoint({ transition: ConfChangeTransition.JointExplicit, changes: [add(1)], context: new Uint8Array() })).toEqual({ joint: true, autoLeave: false });
  });
});
