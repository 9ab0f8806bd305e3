import { ProposalDroppedError, RaftNodeError, StateRole } from '@raftkit/core';
import type { VirtualClock } from '@raftkit/core/testing';
import type { ClientId, Operation } from '../linearizability/history.js';
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

/** Retries of one operation after an unknown or failed attempt, at most (so up to four attempts). */
export const MAX_RETRIES = 3;

/** How one attempt ended. */
export type Attempt<O> = { status: 'ok'; output: O } | { status: 'failed' | 'unknown'; reason: string };

/**
 * The simulated clients. Each runs one operation at a time against a
 * member of the cluster, the way a real client of a replicated store
 * does: it sticks to a member that answers, and after a failure or a
 * timeout it retries the same request a few times, following the leader
 * the member named, or elsewhere at random, or sometimes at a member that
 * is down or cut off (clients do not know). Every attempt is recorded in
 * the history as an operation of its own (with its own invocation and
 * completion times and outcome), and every attempt of a write is a
 * separate proposal: an attempt whose outcome is unknown may have taken
 * effect, and then the retry takes effect again. For a register that is
 * legal (the same value written twice); the checker decides the rest.
 */
export class ClientWorkload<I, O, D> {
  /** Every operation of every client, in the order they completed. */
  readonly history: Array<Operation<I, O>> = [];
  private running = true;
  private seq = 0;

  constructor(private readonly c: ClientContext<I, O, D>) {}

  /** Starts `count` clients (ids 1..count); resolves once all have stopped. */
  start(count: number): Promise<void> {
    return Promise.all(Array.from({ length: count }, (_, i) => this.client(i + 1))).then(() => {});
  }

  /** Lets each client finish the attempt it is in and then stop (no further attempts or retries). */
  stop(): void {
    this.running = false;
  }

  /**
   * Runs one attempt of `input` on member `m` now and records it (as
   * client `client`), whoever asks: the workload's clients, the liveness
   * probe, the final reads. Only the workload's own clients take a broken
   * read path (`viaBrokenReads`); the checks' reads are always linearizable.
   */
  async attempt(client: ClientId, m: SimMember<I, O, D>, input: I, options: { note?: string; viaBrokenReads?: boolean } = {}): Promise<Attempt<O>> {
    const note = options.note ?? '';
    const { clock, trace, app } = this.c;
    const op = ++this.seq;
    const invoke = clock.now();
    const what = JSON.stringify(input);
    trace.add(`client ${client} #${op} invoke ${what} at member ${m.id}${note}`);
    let result: Attempt<O>;
    if (!m.up) {
      // The connection is refused: the request never left the client.
      result = { status: 'failed', reason: `member ${m.id} is down` };
    } else {
      const isRead = app.isRead(input);
      try {
        result = { status: 'ok', output: await this.execute(m, input, isRead, options.viaBrokenReads ?? false) };
      } catch (e) {
        const definite = e instanceof ProposalDroppedError || (e instanceof RaftNodeError && (e.reason === 'stopped' || e.reason === 'too-many-requests'));
        // A read that failed had no effect whatever happened.
        result = { status: isRead || definite ? 'failed' : 'unknown', reason: (e as Error).message };
      }
    }
    const complete = clock.now();
    if (result.status === 'ok') {
      this.history.push({ client, invoke, complete, status: 'ok', input, output: result.output });
      trace.add(`client ${client} #${op} ok ${JSON.stringify(result.output)}`);
    } else {
      this.history.push({ client, invoke, complete, status: result.status, input });
      trace.add(`client ${client} #${op} ${result.status}: ${result.reason}`);
    }
    return result;
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
      let m = (target !== undefined && live.find((x) => x.id === target)) || rng.pick(live);
      const input = app.nextInput(rng, c);
      for (let retry = 0; ; retry++) {
        const result = await this.attempt(c, m, input, { note: retry > 0 ? ` (retry ${retry})` : '', viaBrokenReads: true });
        if (result.status === 'ok') {
          target = m.id;
          break;
        }
        target = undefined;
        if (retry >= MAX_RETRIES || !this.running) break;
        await this.sleep(rng.int(5, 40));
        m = this.retryTarget(rng, m);
      }
      await this.sleep(rng.int(0, 15));
    }
  }

  /**
   * Where to retry after an attempt at `last` failed: the leader `last`
   * named, if any (half the time); any member at all, down or cut off as
   * it may be (one time in five); otherwise a member at random that is up.
   */
  private retryTarget(rng: Rng, last: SimMember<I, O, D>): SimMember<I, O, D> {
    const { cluster } = this.c;
    const members = cluster.all().filter((m) => !m.removed);
    const hint = last.up ? cluster.get(last.node.raw.raft.lead) : undefined;
    if (hint && !hint.removed && rng.chance(0.5)) return hint;
    if (rng.chance(0.2)) return rng.pick(members);
    const live = members.filter((m) => m.up);
    return live.length > 0 ? rng.pick(live) : rng.pick(members);
  }

  /** Runs one operation on member `m`: a read through ReadIndex (or not, when broken), a write through the log. */
  private async execute(m: SimMember<I, O, D>, input: I, isRead: boolean, broken: boolean): Promise<O> {
    if (!isRead) return m.node.propose(this.c.app.encode(input));
    if (broken && this.c.staleFollowerReads && m.node.raw.raft.state !== StateRole.Leader) return m.sm.read(input);
    await m.node.read();
    return m.sm.read(input);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.c.clock.setTimer(ms, resolve));
  }
}
