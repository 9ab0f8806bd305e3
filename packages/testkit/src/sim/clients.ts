import { ProposalDroppedError, RaftNodeError, StateRole } from '@raftkit/core';
import type { VirtualClock } from '@raftkit/core/testing';
import type { Operation } from '../linearizability/history.js';
import type { SimApplication } from './application.js';
import type { SimCluster, SimMember } from './cluster.js';
import type { Rng } from './rng.js';
import type { SimTrace } from './trace.js';

/** What the client workload works with. */
export interface ClientContext<I, O, D> {
  clock: VirtualClock;
  /** The clients' stream of choices (each client forks its own). */
  rng: Rng;
  cluster: SimCluster<I, O, D>;
  app: SimApplication<I, O, D>;
  trace: SimTrace;
  /** Serve reads on followers from local state, without ReadIndex (the `stale-follower-reads` break). */
  staleFollowerReads: boolean;
}

/**
 * The simulated clients: each runs operations one at a time against
 * members of the cluster and records every one in the shared history with
 * its invocation time, completion time and outcome.
 */
export class ClientWorkload<I, O, D> {
  /** Every operation of every client, in the order they completed. */
  readonly history: Array<Operation<I, O>> = [];
  private running = true;

  constructor(private readonly c: ClientContext<I, O, D>) {}

  /** Starts `count` clients (ids 1..count); resolves once all have stopped. */
  start(count: number): Promise<void> {
    return Promise.all(Array.from({ length: count }, (_, i) => this.client(i + 1))).then(() => {});
  }

  /** Lets each client finish the operation it is in and then stop. */
  stop(): void {
    this.running = false;
  }

  private async client(c: number): Promise<void> {
    const { cluster, app } = this.c;
    const rng = this.c.rng.fork();
    let target: number | undefined;
    while (this.running) {
      const live = cluster.live().filter((m) => !m.removed);
      if (live.length === 0) {
        await this.sleep(20);
        continue;
      }
      const m = (target !== undefined && live.find((x) => x.id === target)) || rng.pick(live);
      target = m.id;
      const input = app.nextInput(rng, c);
      const invoke = this.c.clock.now();
      const isRead = app.isRead(input);
      try {
        const output = await this.execute(m, input, isRead);
        this.history.push({ client: c, invoke, complete: this.c.clock.now(), status: 'ok', input, output });
      } catch (e) {
        target = undefined;
        const definite = e instanceof ProposalDroppedError || (e instanceof RaftNodeError && (e.reason === 'stopped' || e.reason === 'too-many-requests'));
        // A read that failed had no effect whatever happened.
        const status = isRead || definite ? 'failed' : 'unknown';
        this.history.push({ client: c, invoke, complete: this.c.clock.now(), status, input });
        await this.sleep(rng.int(5, 40));
      }
      await this.sleep(rng.int(0, 15));
    }
  }

  /** Runs one operation on member `m`: a read through ReadIndex (or not, when broken), a write through the log. */
  private async execute(m: SimMember<I, O, D>, input: I, isRead: boolean): Promise<O> {
    if (!isRead) return m.node.propose(this.c.app.encode(input));
    if (this.c.staleFollowerReads && m.node.raw.raft.state !== StateRole.Leader) return m.sm.read(input);
    await m.node.read();
    return m.sm.read(input);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.c.clock.setTimer(ms, resolve));
  }
}
