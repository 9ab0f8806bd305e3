/**
 * Graceful shutdown with real processes: SIGTERM in the middle of a stream
 * of concurrent puts. The member answers the requests it already has
 * (they complete with OK), refuses the ones arriving after the signal with
 * etcd's "server stopped", and every put that was acknowledged is there
 * after a restart.
 */
import type { ServiceError } from '@grpc/grpc-js';
import type { etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

describe('graceful shutdown', () => {
  let c: LocalCluster | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('answers the puts in flight at SIGTERM instead of dropping them, and loses none it acknowledged', async () => {
    c = await LocalCluster.create([1]);
    const cluster = c;
    cluster.start(1);
    await cluster.waitForLeader();

    // 200 clients put one key after another until 20,000 are done or the member stops.
    const clients = 200;
    const total = 20_000;
    type Outcome = { state: 'pending' } | { state: 'ok' } | { state: 'error'; message: string };
    const outcomes: Outcome[] = [];
    let acked = 0;
    let next = 0;
    const key = (i: number) => `shutdown/${String(i).padStart(5, '0')}`;
    const client = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        outcomes[i] = { state: 'pending' };
        try {
          await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(1, 'put', putReq(key(i), 'v'), 20_000);
          outcomes[i] = { state: 'ok' };
          acked++;
        } catch (e) {
          outcomes[i] = { state: 'error', message: (e as ServiceError).details ?? String(e) };
          return;
        }
      }
    };
    const running = Array.from({ length: clients }, client);
    // Signal once the stream is well under way.
    const deadline = Date.now() + 30_000;
    while (acked < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const inFlight = outcomes.flatMap((o, i) => (o.state === 'pending' ? [i] : []));
    expect(inFlight.length).toBeGreaterThan(0);
    const exit = cluster.kill(1, 'SIGTERM');
    await Promise.all(running);
    expect(await exit, cluster.logs()).toBe(0);

    // Every put in flight at the signal was answered: done (OK), or refused as etcd refuses it.
    const answers = inFlight.map((i) => outcomes[i]!);
    const dropped = answers.filter((o) => o.state !== 'ok' && !(o.state === 'error' && o.message === 'etcdserver: server stopped'));
    expect(dropped, `${dropped.length} of ${inFlight.length} in-flight puts were dropped, e.g. ${JSON.stringify(dropped[0])}`).toEqual([]);
    const completed = answers.filter((o) => o.state === 'ok').length;
    expect(completed, `only ${completed} of ${inFlight.length} in-flight puts completed`).toBeGreaterThan(inFlight.length / 2);

    // No acknowledged put is missing after a restart.
    cluster.start(1);
    await cluster.waitForLeader();
    const r = await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(1, 'range', rangeReq('shutdown/', 'shutdown0', { keysOnly: true }));
    const stored = new Set(r.kvs.map((kv) => new TextDecoder().decode(kv.key)));
    const missing = outcomes.flatMap((o, i) => (o.state === 'ok' && !stored.has(key(i)) ? [key(i)] : []));
    expect(missing).toEqual([]);
  });
});
