/**
 * The errors etcd clients back off on or retry, from a real member whose
 * quorum is gone: a leader of two voters whose second voter never started.
 * Its election timeout is long (50 s), so it stays leader through the test
 * (CheckQuorum would only make it step down after that), and nothing it is
 * asked to write can commit: a put fails with "request timed out" once the
 * 5 s request timeout passes, and a put that would take the uncommitted log
 * over --max-uncommitted-bytes fails at once with "too many requests".
 */
import type { ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalCluster, leaderWithoutQuorum, putReq } from './support/local-cluster.js';

describe('a leader without a quorum', () => {
  let c: LocalCluster | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('answers "request timed out" and "too many requests" as etcd does', async () => {
    c = await leaderWithoutQuorum(['--max-uncommitted-bytes', '4096']);
    const cluster = c;
    const put = (key: string, value: string) =>
      cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(1, 'put', putReq(key, value), 15_000).then(
        () => ({ ok: true as const, at: Date.now() }),
        (e: ServiceError) => ({ ok: false as const, code: e.code, details: e.details, at: Date.now() }),
      );
    const started = Date.now();
    const stuck = put('stuck', 'x');
    await new Promise((r) => setTimeout(r, 300));
    const tooMany = await put('big', 'y'.repeat(8192));
    expect(tooMany).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED, details: 'etcdserver: too many requests' });
    expect(tooMany.at - started).toBeLessThan(4000);
    const timedOut = await stuck;
    expect(timedOut, cluster.logs()).toMatchObject({ ok: false, code: status.UNAVAILABLE, details: 'etcdserver: request timed out' });
    expect(timedOut.at - started).toBeGreaterThanOrEqual(4500);
    // Still the leader: the timeout was the quorum's, not an election's.
    expect((await cluster.status(1))?.leaderId).toBe(1);
  });
});
