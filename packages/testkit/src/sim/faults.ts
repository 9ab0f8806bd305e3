import { type ConfChangeSingle, ConfChangeTransition, ConfChangeType } from '@raftkit/core';
import { MemoryNodeStorage, type VirtualClock } from '@raftkit/core/testing';
import type { SimApplication } from './application.js';
import type { SimCluster, SimMember } from './cluster.js';
import type { FaultCounts } from './fault-counts.js';
import { Figure8Sequence } from './figure8.js';
import { PERFECT_NETWORK, type SimNetwork } from './network.js';
import type { FaultKind } from './options.js';
import type { Rng } from './rng.js';
import type { SimTrace } from './trace.js';

/** What the fault schedule works with. */
export interface FaultContext<I, O, D> {
  clock: VirtualClock;
  /** The fault schedule's own stream of choices. */
  rng: Rng;
  cluster: SimCluster<I, O, D>;
  network: SimNetwork;
  app: SimApplication<I, O, D>;
  trace: SimTrace;
  counts: FaultCounts;
  faults: readonly FaultKind[];
  durationMs: number;
  faultEveryMs: number;
  /** Latency of an ordinary durable write (what a slow disk returns to). */
  diskLatency: () => number;
  /** The id the next newly added member gets. */
  firstNewMemberId: number;
}

/** The shapes of a `partition` fault. */
export const PARTITION_SHAPES = ['isolate-leader', 'split', 'bridge', 'one-way', 'flapping'] as const;

/** What a `membership` fault does. */
export const MEMBERSHIP_ACTIONS = ['add-learner', 're-add', 'promote', 'remove', 'replace-joint'] as const;

/** Fault kinds that are conditions of the whole run rather than scheduled events. */
const AMBIENT_FAULTS: readonly FaultKind[] = ['delay', 'loss', 'duplicate', 'skew', 'snapshot', 'leader-churn'];

/**
 * Schedules and injects the faults of a run from the seed: partitions,
 * crashes and restarts, slow disks, leadership transfers and membership
 * changes at random times, and leader churn as leaders are elected or
 * commit. Everything stops at the end of the fault phase; {@link healAll}
 * then repairs what is left.
 */
export class FaultSchedule<I, O, D> {
  private nextMemberId: number;
  private readonly leaderCommits = new Map<string, number>();

  private readonly figure8: Figure8Sequence<I, O, D>;

  constructor(private readonly c: FaultContext<I, O, D>) {
    this.nextMemberId = c.firstNewMemberId;
    this.figure8 = new Figure8Sequence(c);
  }

  private has(f: FaultKind): boolean {
    return this.c.faults.includes(f);
  }

  /** Puts every scheduled fault of the run on the clock. */
  schedule(): void {
    const { rng, clock } = this.c;
    // With leader churn, the shape of Figure 8 is played out once in most runs.
    if (this.has('leader-churn') && rng.chance(0.7) && this.c.durationMs > 1200) {
      clock.at(300 + rng.float() * (this.c.durationMs - 1200), () => this.figure8.start());
    }
    const kinds = this.c.faults.filter((f) => !AMBIENT_FAULTS.includes(f));
    if (kinds.length === 0) return;
    let t = 150 + rng.int(0, 200);
    while (t < this.c.durationMs - 100) {
      const kind = rng.pick(kinds);
      const duration = 50 + rng.exponential(this.c.faultEveryMs * 1.2);
      clock.at(t, () => this.inject(kind, duration));
      t += 20 + rng.exponential(this.c.faultEveryMs);
    }
  }

  private inject(kind: FaultKind, duration: number): void {
    const { rng, cluster, clock, trace } = this.c;
    const live = cluster.live().filter((m) => !m.removed);
    const until = Math.min(clock.now() + duration, this.c.durationMs);
    switch (kind) {
      case 'partition':
        return this.injectPartition(until);
      case 'crash': {
        if (live.length === 0) return;
        const leader = cluster.leader();
        const victim = leader && rng.chance(0.4) ? leader : rng.pick(live);
        trace.add(`fault: crash member ${victim.id} until ${until.toFixed(0)}`);
        cluster.crash(victim);
        this.c.counts.count('crash', victim === leader ? 'leader' : 'member');
        clock.at(until, () => {
          trace.add(`fault: restart member ${victim.id}`);
          cluster.restart(victim);
        });
        return;
      }
      case 'slow-disk': {
        if (live.length === 0) return;
        const m = rng.pick(live);
        const mean = 5 + rng.exponential(40);
        const storage = m.storage;
        trace.add(`fault: slow disk on member ${m.id} (mean ${mean.toFixed(0)} ms) until ${until.toFixed(0)}`);
        storage.latency = () => rng.exponential(mean);
        this.c.counts.count('slow-disk');
        clock.at(until, () => {
          storage.latency = this.c.diskLatency;
        });
        return;
      }
      case 'transfer': {
        const leader = cluster.leader();
        if (!leader) return;
        const targets = cluster.voters().filter((id) => id !== leader.id);
        if (targets.length === 0) return;
        const to = rng.pick(targets);
        trace.add(`fault: transfer leadership ${leader.id} -> ${to}`);
        this.c.counts.count('transfer');
        leader.node.transferLeadership(to, 500).then(
          () => this.c.counts.outcome('transfer', 'completed'),
          (e: Error) => {
            this.c.counts.outcome('transfer', 'failed');
            trace.add(`transfer to ${to} failed: ${e.message}`);
          },
        );
        return;
      }
      case 'membership':
        return this.injectMembershipChange();
      default:
        return;
    }
  }

  /**
   * Called when `id` became leader: with leader churn, half the time cuts
   * the new leader off moments after its election, before it can replicate
   * much of its own term, in one of three ways:
   * - `isolate-new-leader`: it is cut off for a while, alone or with one
   *   follower, so what it appends reaches at most a minority;
   * - `crash-new-leader`: it crashes, and restarts later;
   * - `stall-new-leader`: its disk stalls from the election on and it
   *   crashes a few milliseconds later, so followers may acknowledge the
   *   first entries of its term while its own copy is lost.
   * Leaders that lose their term's first entries, divergent minority tails
   * and a quick succession of leaders are what the paper's Figure 8
   * scenario is made of.
   */
  onNewLeader(id: number): void {
    if (this.figure8.active) return this.figure8.onNewLeader(id);
    if (!this.has('leader-churn') || this.c.clock.now() >= this.c.durationMs || !this.c.rng.chance(0.5)) return;
    const { rng, clock, cluster, trace } = this.c;
    const how = rng.pick(['isolate-new-leader', 'crash-new-leader', 'stall-new-leader'] as const);
    const after = how === 'stall-new-leader' ? 2 + rng.float() * 18 : rng.float() * 15;
    const withFollower = rng.chance(0.5);
    const back = 10 + rng.exponential(300);
    if (how === 'stall-new-leader') {
      const m = cluster.get(id);
      if (m?.up) m.storage.latency = () => 20 + rng.exponential(40);
    }
    clock.setTimer(after, () => {
      const m = cluster.get(id);
      if (!m?.up || m.removed || clock.now() >= this.c.durationMs) return;
      this.c.counts.count('leader-churn', how);
      if (how === 'isolate-new-leader') {
        const others = cluster.live().map((x) => x.id).filter((x) => x !== id);
        const side = withFollower && others.length > 2 ? [id, rng.pick(others)] : [id];
        trace.add(`fault: isolate new leader ${id}${side.length > 1 ? ` with ${side[1]}` : ''}`);
        this.c.network.partition([side, others.filter((x) => !side.includes(x))]);
        clock.setTimer(back, () => this.c.network.heal());
        return;
      }
      trace.add(`fault: crash new leader ${id}${how === 'stall-new-leader' ? ' (its disk stalled)' : ''}`);
      cluster.crash(m);
      m.storage.latency = this.c.diskLatency;
      clock.setTimer(back, () => {
        trace.add(`fault: restart member ${id}`);
        cluster.restart(m);
      });
    });
  }

  /**
   * Called after every step: with leader churn, now and then cuts a leader
   * off the moment its commit index moves, before the messages of that step
   * leave, so the others must cope with a leader that committed something
   * and vanished.
   */
  afterStep(): void {
    if (!this.has('leader-churn')) return;
    this.figure8.afterStep();
    const { cluster, clock, rng } = this.c;
    const leader = cluster.leader();
    if (!leader || clock.now() >= this.c.durationMs) return;
    const commit = leader.node.raw.raft.raftLog.committed;
    const key = `${leader.id}@${leader.node.raw.raft.term}`;
    const before = this.leaderCommits.get(key);
    this.leaderCommits.set(key, commit);
    if (before === undefined || commit <= before || !rng.chance(0.05)) return;
    this.c.counts.count('leader-churn', 'isolate-on-commit');
    const others = cluster.live().map((x) => x.id).filter((x) => x !== leader.id);
    this.c.trace.add(`fault: isolate leader ${leader.id} as it commits ${commit}`);
    this.c.network.partition([[leader.id], others]);
    clock.setTimer(50 + rng.exponential(300), () => this.c.network.heal());
  }

  private injectPartition(until: number): void {
    const { rng, cluster, network, clock, trace } = this.c;
    const ids = cluster.live().map((m) => m.id);
    if (ids.length < 2) return;
    const leader = cluster.leader();
    const shape = rng.pick(PARTITION_SHAPES);
    const apply = (): string => {
      network.heal();
      switch (shape) {
        case 'isolate-leader': {
          const l = leader?.id ?? rng.pick(ids);
          network.partition([[l], ids.filter((x) => x !== l)]);
          return `isolate ${l}`;
        }
        case 'split': {
          const shuffled = [...ids].sort(() => rng.float() - 0.5);
          const cut = rng.int(1, shuffled.length);
          network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
          return `split ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`;
        }
        case 'bridge': {
          // The bridge member sees everyone; the two sides do not see each other.
          const bridge = rng.pick(ids);
          const rest = ids.filter((x) => x !== bridge);
          const half = Math.ceil(rest.length / 2);
          const a = rest.slice(0, half);
          const b = rest.slice(half);
          for (const x of a) for (const y of b) {
            network.block(x, y);
            network.block(y, x);
          }
          return `bridge ${bridge} between ${a.join(',')} and ${b.join(',')}`;
        }
        case 'one-way': {
          const l = leader?.id ?? rng.pick(ids);
          for (const x of ids) if (x !== l) network.block(x, l);
          return `one-way: ${l} cannot hear the others`;
        }
        case 'flapping': {
          const l = rng.pick(ids);
          network.partition([[l], ids.filter((x) => x !== l)]);
          return `flapping ${l}`;
        }
      }
    };
    trace.add(`fault: partition ${apply()} until ${until.toFixed(0)}`);
    this.c.counts.count('partition', shape);
    if (shape === 'flapping') {
      let on = true;
      const flip = (): void => {
        if (clock.now() >= until) return;
        on = !on;
        if (on) apply();
        else network.heal();
        clock.setTimer(20 + rng.exponential(40), flip);
      };
      clock.setTimer(20 + rng.exponential(40), flip);
    }
    clock.at(until, () => {
      network.heal();
      trace.add('fault: partition healed');
    });
  }

  /**
   * A membership change chosen from the current configuration. Changes
   * come in an operator's sequences too: a learner that was added is often
   * promoted (or swapped in for a voter) once it had time to catch up, and
   * a member that was removed is sometimes added back under its id with
   * empty storage.
   */
  private injectMembershipChange(): void {
    const { rng, cluster } = this.c;
    const leader = cluster.leader();
    if (!leader) return;
    const voters = leader.node.raw.raft.trk.voterIds();
    const learners = leader.node.raw.raft.trk.learnerIds();
    if (learners.length > 0 && voters.length >= 3 && rng.chance(0.3)) this.replaceVoter(rng.pick(learners), rng.pick(voters));
    else if (learners.length > 0 && rng.chance(0.6) && voters.length < 5) this.promote(rng.pick(learners));
    else if (voters.length > 3 && rng.chance(0.5)) this.removeVoter(rng.pick(voters));
    else if (voters.length + learners.length < 6) this.addLearner();
  }

  /**
   * Adds a learner: a removed member back under its id, with the storage it
   * kept, or a new member under a new id with empty storage. Never a
   * removed id with empty storage: a member that lost its state must rejoin
   * under a new identity (Raft thesis §3.8, persisted state and restarts), or a member with a stale
   * configuration could count the blank newcomer's vote as that of the
   * voter it replaced, which held committed entries (seed 66 of
   * membership,crash,transfer,delay,leader-churn found this).
   */
  private addLearner(): void {
    const { rng, cluster, clock } = this.c;
    const leader = cluster.leader();
    if (!leader) return;
    const removed = cluster.all().find((m) => m.removed);
    const readd = removed !== undefined && rng.chance(0.6);
    const id = readd ? removed.id : this.nextMemberId++;
    if (readd) cluster.start(id, removed.storage, removed.disk, removed.clockRate);
    else cluster.start(id, new MemoryNodeStorage(clock), this.c.app.initialDisk());
    this.proposeConfChange(leader, [{ type: ConfChangeType.AddLearner, nodeId: id }], ConfChangeTransition.Auto, `add learner ${id}`, readd ? 're-add' : 'add-learner', () => {
      // Once it has caught up a little: promote it, or swap it in for a voter.
      if (!rng.chance(0.7)) return;
      const swap = rng.chance(0.4);
      this.later(100 + rng.exponential(200), () => {
        const voters = cluster.leader()?.node.raw.raft.trk.voterIds() ?? [];
        if (swap && voters.length >= 3) this.replaceVoter(id, rng.pick(voters));
        else if (voters.length < 5) this.promote(id);
      });
    });
  }

  private promote(id: number): void {
    const leader = this.c.cluster.leader();
    if (!leader || !leader.node.raw.raft.trk.learnerIds().includes(id)) return;
    this.proposeConfChange(leader, [{ type: ConfChangeType.AddVoter, nodeId: id }], ConfChangeTransition.Auto, `promote learner ${id}`, 'promote');
  }

  private removeVoter(id: number): void {
    const leader = this.c.cluster.leader();
    if (!leader) return;
    this.proposeConfChange(leader, [{ type: ConfChangeType.RemoveNode, nodeId: id }], ConfChangeTransition.Auto, `remove ${id}`, 'remove', () => {
      // Sometimes the operator changes their mind: the member comes back, with empty storage.
      if (this.c.rng.chance(0.4)) this.later(200 + this.c.rng.exponential(200), () => this.addLearner());
    });
    this.decommissionOnceRemoved(id);
  }

  /**
   * Replaces voter `remove` (perhaps the leader) by learner `add` in one
   * change, through a joint configuration (thesis §4.3) that is left
   * automatically; half the time the leader changes right after the joint
   * configuration is entered.
   */
  private replaceVoter(add: number, remove: number): void {
    const { rng, cluster } = this.c;
    const leader = cluster.leader();
    if (!leader || !leader.node.raw.raft.trk.learnerIds().includes(add)) return;
    const transition = rng.chance(0.5) ? ConfChangeTransition.Auto : ConfChangeTransition.JointImplicit;
    const changes = [
      { type: ConfChangeType.AddVoter, nodeId: add },
      { type: ConfChangeType.RemoveNode, nodeId: remove },
    ];
    const midJoint = rng.chance(0.5);
    this.proposeConfChange(leader, changes, transition, `replace ${remove} by ${add} (joint)`, 'replace-joint', () => {
      if (midJoint) this.changeLeaderMidJoint();
    });
    this.decommissionOnceRemoved(remove);
  }

  /** Runs `fn` after `ms`, unless the fault phase is over by then. */
  private later(ms: number, fn: () => void): void {
    this.c.clock.setTimer(ms, () => {
      if (this.c.clock.now() < this.c.durationMs) fn();
    });
  }

  /**
   * Proposes a membership change through `leader`. It is counted once
   * applied there: a change refused (another one pending, no longer leader)
   * did nothing.
   */
  private proposeConfChange(
    leader: SimMember<I, O, D>,
    changes: ConfChangeSingle[],
    transition: ConfChangeTransition,
    what: string,
    action: (typeof MEMBERSHIP_ACTIONS)[number],
    onApplied?: () => void,
  ): void {
    const { trace } = this.c;
    trace.add(`fault: membership ${what}`);
    leader.node.proposeConfChange({ transition, changes, context: new Uint8Array() }).then(
      () => {
        this.c.counts.count('membership', action);
        trace.add(`membership ${what} applied on ${leader.id}`);
        onApplied?.();
      },
      (e: Error) => trace.add(`membership ${what} not done: ${e.message}`),
    );
  }

  /**
   * Right after a joint configuration was entered, the leader changes:
   * it crashes, or hands leadership to another voter. Whoever leads next
   * must leave the joint configuration on its own (auto-leave), which the
   * convergence check requires.
   */
  private changeLeaderMidJoint(): void {
    const { cluster, clock, rng, trace } = this.c;
    const leader = cluster.leader();
    if (!leader || clock.now() >= this.c.durationMs || !leader.node.raw.raft.trk.config.voters.isJoint) return;
    const others = leader.node.raw.raft.trk.voterIds().filter((id) => id !== leader.id && cluster.get(id)?.up);
    this.c.counts.outcome('membership', 'leader-change-mid-joint');
    if (others.length > 0 && rng.chance(0.5)) {
      const to = rng.pick(others);
      trace.add(`fault: mid-joint transfer of leadership ${leader.id} -> ${to}`);
      leader.node.transferLeadership(to, 500).catch((e: Error) => trace.add(`mid-joint transfer to ${to} failed: ${e.message}`));
      return;
    }
    trace.add(`fault: crash leader ${leader.id} mid-joint`);
    cluster.crash(leader);
    clock.setTimer(20 + rng.exponential(200), () => {
      trace.add(`fault: restart member ${leader.id}`);
      cluster.restart(leader);
    });
  }

  /** Stops a member's process once it is out of the configuration (checked every 100 ms until the faults end). */
  private decommissionOnceRemoved(id: number): void {
    const { cluster, clock, trace } = this.c;
    const check = (): void => {
      const m = cluster.get(id);
      if (!m || m.removed) return;
      const leader = cluster.leader();
      const trk = leader?.node.raw.raft.trk;
      if (trk && !trk.voterIds().includes(id) && !trk.learnerIds().includes(id)) {
        trace.add(`member ${id} decommissioned`);
        m.removed = true;
        if (m.up) cluster.crash(m);
        return;
      }
      if (clock.now() < this.c.durationMs) clock.setTimer(100, check);
    };
    clock.setTimer(100, check);
  }

  /** Ends every fault: heals the network, makes it perfect, repairs disks and restarts crashed members. */
  healAll(): void {
    const { cluster, network } = this.c;
    this.c.trace.add('heal: network, disks and crashed members');
    network.heal();
    network.conditions = PERFECT_NETWORK;
    for (const m of cluster.all()) {
      m.storage.latency = this.c.diskLatency;
      if (!m.up && !m.removed) cluster.restart(m);
    }
  }
}
