/**
 * A leader that is stopped gracefully hands its leadership over first, as
 * etcd's does: with a long election timeout, the other members know a new
 * leader well before that timeout could have passed.
 */
import type { etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

/** Elections after 6-7 s: long enough that only a hand-off can be quicker than 3 s. */
const TICK_MS = 100;
const ELECTION_TICKS = 60;

describe('graceful shutdown of the leader', () => {
  let c: LocalCluster | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('hands leadership to another voter at SIGTERM, well before an election timeout', async () => {
    c = await LocalCluster.create([1, 2, 3], {
      flags: ['--tick-ms', String(TICK_MS), '--heartbeat-ticks', '1', '--election-ticks', String(ELECTION_TICKS), '--election-ticks-max', String(ELECTION_TICKS + 10)],
    });
    const cluster = c;
    cluster.startAll();
    const old = (await cluster.waitForLeader(60_000)).id;
    await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(old, 'put', putReq('before', '1'));
    const others = [1, 2, 3].filter((id) => id !== old);

    const signalled = performance.now();
    const exit = cluster.kill(old, 'SIGTERM');
    // The others agree on a leader among themselves.
    const next = await cluster.waitForLeader(20_000, others);
    const elapsed = performance.now() - signalled;
    expect(await exit, cluster.logs()).toBe(0);
    expect(others).toContain(next.id);
    expect(elapsed, `a new leader after ${Math.round(elapsed)} ms\n${cluster.logs()}`).toBeLessThan((ELECTION_TICKS * TICK_MS) / 2);
    expect(cluster.logOf(old)).toContain(`handing leadership to member ${next.id} before stopping`);
    expect(cluster.logOf(old)).toContain(`member ${next.id} leads now`);

    // The cluster goes on, with what the old leader had.
    await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(next.id, 'put', putReq('after', '2'));
    const r = await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(next.id, 'range', rangeReq('a', 'c'));
    expect(r.kvs.map((kv) => new TextDecoder().decode(kv.key))).toEqual(['after', 'before']);
  }, 120_000);
});
