/**
 * kill -9 of the leader during a stream of writes: once a new leader is
 * elected, every acknowledged write is readable with its value, and none
 * was applied twice (each key was written once, so its version is 1).
 */
import type { ServiceError } from '@grpc/grpc-js';
import type { etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

describe('leader killed with SIGKILL during writes', () => {
  let cluster: LocalCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps every acknowledged write, applied exactly once', async () => {
    cluster = await LocalCluster.create([1, 2, 3]);
    const c = cluster;
    c.startAll();
    const first = await c.waitForLeader();
    const acked = new Map<string, string>();
    let stop = false;
    let n = 0;
    const writer = async (w: number): Promise<void> => {
      while (!stop) {
        const key = `w${w}-${n++}`;
        // Write to any live member; followers forward to the leader.
        const live = [1, 2, 3].filter((id) => c.isRunning(id));
        const target = live[(w + n) % live.length]!;
        try {
          await c.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(target, 'put', putReq(key, `v-${key}`), 3000);
          acked.set(key, `v-${key}`);
        } catch (e) {
          // Not acknowledged: it may or may not have been applied. Back off a little.
          if (process.env.DEBUG_E2E) console.log(`put ${key} on ${target}: ${(e as Error).message}`);
          if ((e as ServiceError).code === undefined) throw e;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    const before = acked.size;
    await c.kill(first.id, 'SIGKILL');
    const second = await c.waitForLeader(20_000, [1, 2, 3].filter((id) => id !== first.id));
    expect(second.id).not.toBe(first.id);
    // Writes caught in flight time out (their outcome is unknown); new ones go to the new leader.
    const afterElection = acked.size;
    const deadline = Date.now() + 15_000;
    while (acked.size < afterElection + 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(writers);
    expect(before).toBeGreaterThan(20);
    expect(acked.size).toBeGreaterThan(before);

    // Read everything back, linearizably, from each surviving member.
    for (const id of [1, 2, 3].filter((x) => x !== first.id)) {
      const all = await c.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(id, 'range', rangeReq('w', 'x'), 10_000);
      const got = new Map(all.kvs.map((kv) => [new TextDecoder().decode(kv.key), kv]));
      for (const [key, value] of acked) {
        const kv = got.get(key);
        expect(kv, `acknowledged ${key} missing on member ${id}`).toBeDefined();
        expect(new TextDecoder().decode(kv!.value)).toBe(value);
      }
      // Each key was put once by its writer: a second application would show as version 2.
      for (const kv of all.kvs) expect(kv.version, new TextDecoder().decode(kv.key)).toBe(1);
    }
    // The killed member restarts and catches up too.
    c.start(first.id);
    await c.waitForLeader(20_000);
    const catchUpBy = Date.now() + 20_000;
    let caughtUp = false;
    while (!caughtUp && Date.now() < catchUpBy) {
      const s = await c.status(first.id);
      const l = await c.status(second.id);
      caughtUp = s !== undefined && l !== undefined && s.appliedIndex >= l.commitIndex;
      if (!caughtUp) await new Promise((r) => setTimeout(r, 200));
    }
    expect(caughtUp).toBe(true);
    // No writes are running any more: every member converges on the same state.
    let hashes: Array<{ hash: Uint8Array; appliedIndex: number }> = [];
    const convergeBy = Date.now() + 20_000;
    do {
      hashes = await Promise.all([1, 2, 3].map((id) => c.admin<object, { hash: Uint8Array; appliedIndex: number }>(id, 'hash', {})));
      if (new Set(hashes.map((h) => h.appliedIndex)).size === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < convergeBy);
    expect(new Set(hashes.map((h) => h.appliedIndex)).size).toBe(1);
    expect(new Set(hashes.map((h) => Buffer.from(h.hash).toString('hex'))).size).toBe(1);
  }, 120_000);
});
