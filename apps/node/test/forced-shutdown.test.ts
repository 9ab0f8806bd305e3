/**
 * Shutdown as docs/operations.md describes it, with a real process whose
 * shutdown is slow: a leader of two voters whose second voter never
 * started (its election timeout is 50 s, so it stays leader), holding a put
 * that cannot commit. At SIGTERM its gRPC health turns NOT_SERVING at once
 * while it waits for that put (up to the 5 s request timeout); a second
 * SIGTERM drops the put, skips the leadership hand-off, and the process
 * exits 1 without waiting.
 */
import * as grpc from '@grpc/grpc-js';
import { type etcdserverpb, healthv1 } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalCluster, leaderWithoutQuorum, putReq } from './support/local-cluster.js';

const { SERVING, NOT_SERVING } = healthv1.HealthCheckResponse_ServingStatus;

describe('a second signal', () => {
  let c: LocalCluster | undefined;
  let health: healthv1.HealthClient | undefined;
  afterAll(async () => {
    health?.close();
    await c?.close();
  });

  it('makes a member that is draining its requests exit at once with status 1; health says NOT_SERVING from the first', async () => {
    c = await leaderWithoutQuorum();
    const cluster = c;
    const client = new healthv1.HealthClient(`127.0.0.1:${cluster.member(1).client}`, grpc.credentials.createInsecure());
    health = client;
    const check = () =>
      new Promise<healthv1.HealthCheckResponse_ServingStatus>((resolve, reject) =>
        client.check({ service: '' }, new grpc.Metadata(), { deadline: Date.now() + 2000 }, (e, r) => (e ? reject(e) : resolve(r.status))),
      );
    expect(await check()).toBe(SERVING);

    const stuck = cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(1, 'put', putReq('stuck', 'x'), 15_000).then(
      () => 'answered OK',
      (e: grpc.ServiceError) => e.details,
    );
    await new Promise((r) => setTimeout(r, 300));
    const proc = cluster.member(1).proc!;
    const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');

    // Still serving health checks (it is draining), and saying it is going away.
    const deadline = Date.now() + 2000;
    let status = await check();
    while (status !== NOT_SERVING && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = await check();
    }
    expect(status, cluster.logs()).toBe(NOT_SERVING);
    // The put keeps it waiting: a single signal would exit only after the put's 5 s timeout.
    await new Promise((r) => setTimeout(r, 500));
    expect(proc.exitCode, cluster.logs()).toBeNull();
    expect(await check()).toBe(NOT_SERVING);

    const signalled = performance.now();
    proc.kill('SIGTERM');
    const code = await exit;
    const elapsed = performance.now() - signalled;
    expect(code, cluster.logs()).toBe(1);
    expect(elapsed, `exited ${Math.round(elapsed)} ms after the second signal\n${cluster.logs()}`).toBeLessThan(2000);
    expect(await stuck).not.toBe('answered OK');
    const log = cluster.logOf(1);
    expect(log).toContain('second signal: dropping the requests in flight and exiting');
    expect(log).toContain('dropping 1 requests still in flight');
    expect(log).not.toContain('handing leadership');
    // It closed its storage rather than being cut off by the 3 s fallback.
    expect(log).toContain('raftkit member stopped');
  });
});
