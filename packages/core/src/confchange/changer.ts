import { ConfChangeError } from '../errors.js';
import { JointConfig } from '../quorum/joint.js';
import { MajorityConfig } from '../quorum/majority.js';
import type { Progress } from '../tracker/progress.js';
import { type ProgressTracker, type TrackerConfig, cloneTrackerConfig } from '../tracker/tracker.js';
import type { ConfState } from '../types.js';
import { type ConfChangeSingle, ConfChangeType } from './types.js';

/** A configuration together with the progress map that matches it. */
export interface ConfigAndProgress {
  config: TrackerConfig;
  progress: Map<number, Progress>;
}

// Mutable working copy of a configuration.
interface WorkingConfig {
  incoming: Set<number>;
  outgoing: Set<number>;
  learners: Set<number>;
  learnersNext: Set<number>;
  autoLeave: boolean;
}

/**
 * Computes the configuration that results from a membership change, without
 * touching the tracker it starts from (Raft thesis §4.3; the shape follows
 * etcd's confchange package). Every result is checked against the
 * configuration invariants before it is returned.
 */
export class Changer {
  /**
   * @param tracker the current configuration and progress
   * @param lastIndex the last log index, where new members start being probed
   */
  constructor(
    private readonly tracker: ProgressTracker,
    private readonly lastIndex: number,
  ) {}

  /**
   * Enters a joint configuration: the current voters become the outgoing
   * half and the changes are applied to the incoming half.
   */
  enterJoint(autoLeave: boolean, changes: readonly ConfChangeSingle[]): ConfigAndProgress {
    const { cfg, progress } = this.checkAndCopy();
    if (cfg.outgoing.size > 0) throw new ConfChangeError('the configuration is already joint; leave it first');
    if (cfg.incoming.size === 0) throw new ConfChangeError('cannot make a configuration with no voters joint');
    cfg.outgoing = new Set(cfg.incoming);
    this.apply(cfg, progress, changes);
    cfg.autoLeave = autoLeave;
    return checkAndReturn(cfg, progress);
  }

  /**
   * Leaves a joint configuration: the outgoing half is dropped, staged
   * learners become learners, and members no longer in the configuration are
   * forgotten.
   */
  leaveJoint(): ConfigAndProgress {
    const { cfg, progress } = this.checkAndCopy();
    if (cfg.outgoing.size === 0) throw new ConfChangeError('cannot leave a configuration that is not joint');
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      progress.get(id)!.isLearner = true;
    }
    cfg.learnersNext.clear();
    for (const id of cfg.outgoing) {
      if (!cfg.incoming.has(id) && !cfg.learners.has(id)) progress.delete(id);
    }
    cfg.outgoing.clear();
    cfg.autoLeave = false;
    return checkAndReturn(cfg, progress);
  }

  /**
   * Applies changes that alter at most one voter directly, without a joint
   * configuration (the thesis' single-server change, §4.1).
   */
  simple(changes: readonly ConfChangeSingle[]): ConfigAndProgress {
    const { cfg, progress } = this.checkAndCopy();
    if (cfg.outgoing.size > 0) throw new ConfChangeError('cannot apply a simple change to a joint configuration');
    this.apply(cfg, progress, changes);
    const before = this.tracker.config.voters.incoming.ids;
    let diff = 0;
    for (const id of before) if (!cfg.incoming.has(id)) diff++;
    for (const id of cfg.incoming) if (!before.has(id)) diff++;
    if (diff > 1) throw new ConfChangeError('more than one voter changed without entering a joint configuration');
    return checkAndReturn(cfg, progress);
  }

  private apply(cfg: WorkingConfig, progress: Map<number, Progress>, changes: readonly ConfChangeSingle[]): void {
    for (const cc of changes) {
      // A zero node id marks a change the application decided not to apply.
      if (cc.nodeId === 0) continue;
      switch (cc.type) {
        case ConfChangeType.AddVoter:
          this.makeVoter(cfg, progress, cc.nodeId);
          break;
        case ConfChangeType.AddLearner:
          this.makeLearner(cfg, progress, cc.nodeId);
          break;
        case ConfChangeType.RemoveNode:
          this.remove(cfg, progress, cc.nodeId);
          break;
        case ConfChangeType.UpdateNode:
          break;
        default:
          throw new ConfChangeError(`unknown change type ${String(cc.type)}`);
      }
    }
    if (cfg.incoming.size === 0) throw new ConfChangeError('the change removes every voter');
  }

  private makeVoter(cfg: WorkingConfig, progress: Map<number, Progress>, id: number): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(cfg, progress, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.incoming.add(id);
  }

  private makeLearner(cfg: WorkingConfig, progress: Map<number, Progress>, id: number): void {
    const pr = progress.get(id);
    if (!pr) {
      this.initProgress(cfg, progress, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove it as a voter of the incoming half, but keep its progress.
    this.remove(cfg, progress, id);
    progress.set(id, pr);
    // A voter of the outgoing half cannot be a learner yet: stage it until the
    // joint configuration is left.
    if (cfg.outgoing.has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private remove(cfg: WorkingConfig, progress: Map<number, Progress>, id: number): void {
    if (!progress.has(id)) return;
    cfg.incoming.delete(id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    // A voter of the outgoing half keeps its progress until the joint configuration is left.
    if (!cfg.outgoing.has(id)) progress.delete(id);
  }

  private initProgress(cfg: WorkingConfig, progress: Map<number, Progress>, id: number, isLearner: boolean): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.incoming.add(id);
    const pr = this.tracker.newProgress();
    // Probe from the last index: cheap when the new member already has the
    // log (or a snapshot), and the rejection hint fixes it otherwise.
    pr.next = Math.max(this.lastIndex, 1);
    pr.match = 0;
    pr.isLearner = isLearner;
    // Count a new member as active so CheckQuorum does not depose the leader
    // before the member had a chance to answer.
    pr.recentActive = true;
    progress.set(id, pr);
  }

  private checkAndCopy(): { cfg: WorkingConfig; progress: Map<number, Progress> } {
    const c = cloneTrackerConfig(this.tracker.config);
    const progress = new Map<number, Progress>();
    for (const [id, pr] of this.tracker.progress) {
      const copy = Object.assign(Object.create(Object.getPrototypeOf(pr) as object) as Progress, pr);
      copy.inflights = pr.inflights.clone();
      progress.set(id, copy);
    }
    const cfg: WorkingConfig = {
      incoming: new Set(c.voters.incoming.ids),
      outgoing: new Set(c.voters.outgoing.ids),
      learners: c.learners,
      learnersNext: c.learnersNext,
      autoLeave: c.autoLeave,
    };
    checkInvariants(cfg, progress);
    return { cfg, progress };
  }
}

function checkAndReturn(cfg: WorkingConfig, progress: Map<number, Progress>): ConfigAndProgress {
  checkInvariants(cfg, progress);
  return {
    config: {
      voters: new JointConfig(new MajorityConfig(cfg.incoming), new MajorityConfig(cfg.outgoing)),
      autoLeave: cfg.autoLeave,
      learners: cfg.learners,
      learnersNext: cfg.learnersNext,
    },
    progress,
  };
}

// The invariants of a configuration; a failure means a bug or corrupt input.
function checkInvariants(cfg: WorkingConfig, progress: Map<number, Progress>): void {
  for (const ids of [cfg.incoming, cfg.outgoing, cfg.learners, cfg.learnersNext]) {
    for (const id of ids) if (!progress.has(id)) throw new ConfChangeError(`member ${id} has no progress`);
  }
  for (const id of cfg.learnersNext) {
    if (!cfg.outgoing.has(id)) throw new ConfChangeError(`member ${id} is a staged learner but not an outgoing voter`);
    if (progress.get(id)!.isLearner) throw new ConfChangeError(`member ${id} is a staged learner but already a learner`);
  }
  for (const id of cfg.learners) {
    if (cfg.outgoing.has(id)) throw new ConfChangeError(`member ${id} is both a learner and an outgoing voter`);
    if (cfg.incoming.has(id)) throw new ConfChangeError(`member ${id} is both a learner and a voter`);
    if (!progress.get(id)!.isLearner) throw new ConfChangeError(`member ${id} is a learner but its progress is not`);
  }
  if (cfg.outgoing.size === 0) {
    if (cfg.learnersNext.size > 0) throw new ConfChangeError('staged learners exist outside a joint configuration');
    if (cfg.autoLeave) throw new ConfChangeError('auto-leave is set outside a joint configuration');
  }
}

/**
 * Rebuilds the configuration described by a ConfState (from hard state or a
 * snapshot) by replaying it as changes on an empty tracker: first the
 * outgoing voters one by one, then, if joint, entering the joint
 * configuration with the incoming voters and learners.
 */
export function restoreConfState(tracker: ProgressTracker, lastIndex: number, cs: ConfState): ConfigAndProgress {
  const outgoing: ConfChangeSingle[] = cs.votersOutgoing.map((id) => ({ type: ConfChangeType.AddVoter, nodeId: id }));
  const incoming: ConfChangeSingle[] = [
    ...cs.votersOutgoing.map((id) => ({ type: ConfChangeType.RemoveNode, nodeId: id })),
    ...cs.voters.map((id) => ({ type: ConfChangeType.AddVoter, nodeId: id })),
    ...cs.learners.map((id) => ({ type: ConfChangeType.AddLearner, nodeId: id })),
    ...cs.learnersNext.map((id) => ({ type: ConfChangeType.AddLearner, nodeId: id })),
  ];
  const step = (f: (c: Changer) => ConfigAndProgress): void => {
    const r = f(new Changer(tracker, lastIndex));
    tracker.config = r.config;
    tracker.progress = r.progress;
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step((c) => c.simple([cc]));
  } else {
    for (const cc of outgoing) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return { config: tracker.config, progress: tracker.progress };
}
