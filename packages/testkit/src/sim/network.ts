import { type Message, MessageType } from '@raftkit/core';
import type { VirtualClock } from '@raftkit/core/testing';
import type { Rng } from './rng.js';

/** How the simulated network misbehaves; all zero is a perfect network with `baseDelayMs` latency. */
export interface NetworkConditions {
  /** Minimum one-way latency, ms. */
  baseDelayMs: number;
  /** Mean of an exponential extra delay added to every message (its tail reorders messages). */
  jitterMeanMs: number;
  /** Probability that a message is held back much longer (strong reordering). */
  longDelayRate: number;
  /** Extra delay of a held-back message (uniform up to this). */
  longDelayMs: number;
  /**
   * Probability that a message takes a heavy-tailed detour (a congested
   * link, a GC pause, a retransmission): an extra delay drawn from a Pareto
   * distribution, most often tens of milliseconds, now and then several
   * hundred, longer than an election, so a message of an old term arrives
   * after the cluster moved on. Capped at {@link MAX_TAIL_DELAY_MS}.
   */
  tailRate: number;
  /** Scale (minimum) of the heavy-tailed delay, ms. */
  tailScaleMs: number;
  /** Shape of the heavy-tailed delay (Pareto alpha; smaller is heavier; 1-2 is realistic). */
  tailShape: number;
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
}

/** A perfect network: 1 ms latency, no loss, no reordering. */
export const PERFECT_NETWORK: NetworkConditions = {
  baseDelayMs: 1,
  jitterMeanMs: 0,
  longDelayRate: 0,
  longDelayMs: 0,
  tailRate: 0,
  tailScaleMs: 0,
  tailShape: 1,
  lossRate: 0,
  duplicateRate: 0,
};

/** Counters of what the network did. */
export interface NetworkStats {
  /** Messages handed to {@link SimNetwork.send}, before loss or duplication. */
  sent: number;
  /** Copies that reached a receiver (a duplicated message can count twice). */
  delivered: number;
  /** Lost for any reason: dropped by the loss draw, or addressed to a member that is down. */
  lost: number;
  /** Dropped by the loss draw (the `loss` fault acting). */
  dropped: number;
  /** Copies cut by a partition: their link was blocked when they arrived. */
  blocked: number;
  /** Messages sent twice (the `duplicate` fault acting). */
  duplicated: number;
  /** Copies given an extra random delay (the `delay` fault acting). */
  delayed: number;
  /** Copies delayed longer than {@link LATE_MS} (an election timeout): they may arrive after elections. */
  late: number;
  /** The longest delay given to a message, ms. */
  maxDelayMs: number;
}

/** The longest heavy-tailed delay. */
export const MAX_TAIL_DELAY_MS = 2000;

/** A message delayed longer than the minimum election timeout (at the default tick) counts as late. */
export const LATE_MS = 100;

/**
 * Delivers messages between simulated members on the virtual clock, with
 * random delays (and so reordering), loss, duplication, and one-way or
 * two-way partitions.
 */
export class SimNetwork {
  /**
   * How messages sent from now on are delayed, lost and duplicated. Starts
   * as {@link PERFECT_NETWORK}; the simulator replaces it with the run's
   * drawn conditions and swaps it while a network fault is active. Messages
   * already in flight keep the delay they were given.
   */
  conditions: NetworkConditions = PERFECT_NETWORK;
  /** Running totals of what the network did since it was created; the simulator copies them into the run's statistics. */
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, dropped: 0, blocked: 0, duplicated: 0, delayed: 0, late: 0, maxDelayMs: 0 };
  private readonly endpoints = new Map<number, (m: Message) => void>();
  /** Blocked directed links "from>to". */
  private readonly blocked = new Set<string>();

  /**
   * Told how each snapshot message ended, as a real transport reports the
   * end of a snapshot stream (the leader waits for it before it resumes
   * replicating to that member).
   */
  onSnapshotOutcome: (from: number, to: number, delivered: boolean) => void = () => {};

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly onDeliver?: (m: Message) => void,
  ) {}

  /** Connects a member's receive function (replacing a previous incarnation's). */
  attach(id: number, receive: (m: Message) => void): void {
    this.endpoints.set(id, receive);
  }

  /** Disconnects a member (crashed): messages to it are lost. */
  detach(id: number): void {
    this.endpoints.delete(id);
  }

  /** Blocks messages from `from` to `to` (one way). */
  block(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Splits members into groups that cannot reach each other. */
  partition(groups: number[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.block(a, b);
      }
    }
  }

  /** Removes every partition. */
  heal(): void {
    this.blocked.clear();
  }

  /** True when some link is blocked. */
  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  /** Blocked links, for traces. */
  describeBlocked(): string {
    return [...this.blocked].sort().join(' ');
  }

  /**
   * Sends messages on their way: each may be lost or duplicated, and each
   * copy is delivered after its own delay under the current
   * {@link conditions}, unless a partition blocks its link at delivery time
   * or its receiver is detached by then. Nothing is delivered synchronously.
   */
  send(messages: readonly Message[]): void {
    for (const m of messages) this.sendOne(m);
  }

  private sendOne(m: Message): void {
    this.stats.sent++;
    const c = this.conditions;
    if (this.rng.chance(c.lossRate)) {
      this.stats.lost++;
      this.stats.dropped++;
      if (m.type === MessageType.Snap) this.clock.setTimer(c.baseDelayMs, () => this.onSnapshotOutcome(m.from, m.to, false));
      return;
    }
    const copies = this.rng.chance(c.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let extra = c.jitterMeanMs > 0 ? this.rng.exponential(c.jitterMeanMs) : 0;
      if (this.rng.chance(c.longDelayRate)) extra += this.rng.float() * c.longDelayMs;
      if (this.rng.chance(c.tailRate)) extra += Math.min(MAX_TAIL_DELAY_MS, this.rng.pareto(c.tailScaleMs, c.tailShape));
      if (extra > 0) this.stats.delayed++;
      if (extra > LATE_MS) this.stats.late++;
      this.stats.maxDelayMs = Math.max(this.stats.maxDelayMs, c.baseDelayMs + extra);
      this.clock.setTimer(c.baseDelayMs + extra, () => this.deliver(m));
    }
  }

  private deliver(m: Message): void {
    const isSnap = m.type === MessageType.Snap;
    // Partitions are checked at delivery: a message in flight when a partition starts is cut too.
    if (this.blocked.has(`${m.from}>${m.to}`)) {
      this.stats.blocked++;
      if (isSnap) this.onSnapshotOutcome(m.from, m.to, false);
      return;
    }
    const receive = this.endpoints.get(m.to);
    if (!receive) {
      this.stats.lost++;
      if (isSnap) this.onSnapshotOutcome(m.from, m.to, false);
      return;
    }
    this.stats.delivered++;
    this.onDeliver?.(m);
    receive(m);
    if (isSnap) this.onSnapshotOutcome(m.from, m.to, true);
  }
}
