/**
 * The Paxos story of raftkit's origin with real processes: five members,
 * two of them stopped; 1000 writes through a follower (forwarded to the
 * leader); every live member holds the same revision sequence; the two
 * stopped members catch up (from a snapshot, then the log) when restarted.
 */
import type { etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

const dec = new TextDecoder();

describe('five members, two stopped, 1000 writes through a follower', () => {
  let c: LocalCluster | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('commits every write once, in one order, everywhere; the stopped members catch up', async () => {
    c = await LocalCluster.create([1, 2, 3, 4, 5], {
      // Compacts every 200 entries keeping 50 behind, so the restarted members need a snapshot (built on demand).
      flags: ['--tick-ms', '50', '--heartbeat-ticks', '1', '--election-ticks', '10', '--snapshot-count', '200', '--snapshot-catchup-entries', '50'],
    });
    const cluster = c;
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const others = [1, 2, 3, 4, 5].filter((id) => id !== leader.id);
    const stopped = others.slice(0, 2);
    const via = others[2]!;
    for (const id of stopped) await cluster.kill(id, 'SIGTERM');

    // 1000 writes through a follower, 20 at a time.
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < 1000) {
        const i = next++;
        await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(via, 'put', putReq(`paxos/${String(i).padStart(4, '0')}`, `value-${i}`), 20_000);
      }
    };
    await Promise.all(Array.from({ length: 20 }, writer));

    const sequence = async (id: number): Promise<string[]> => {
      const r = await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(id, 'range', rangeReq('paxos/', 'paxos0', { serializable: true }), 10_000);
      return r.kvs.map((kv) => `${dec.decode(kv.key)}@${kv.modRevision}/v${kv.version}`);
    };
    const converged = async (ids: number[]): Promise<void> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const s = await Promise.all(ids.map((id) => cluster.status(id)));
        const l = s.find((x) => x?.role === 4);
        if (l && s.every((x) => x && x.appliedIndex >= l.commitIndex)) return;
        if (Date.now() > deadline) throw new Error(`members ${ids.join(',')} did not converge\n${cluster.logs()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const live = [1, 2, 3, 4, 5].filter((id) => !stopped.includes(id));
    await converged(live);
    const reference = await sequence(leader.id);
    expect(reference).toHaveLength(1000);
    // Every write applied once (version 1) at its own revision: 1000 distinct revisions.
    expect(reference.every((r) => r.endsWith('/v1'))).toBe(true);
    expect(new Set(reference.map((r) => r.split('@')[1])).size).toBe(1000);
    for (const id of live) expect(await sequence(id)).toEqual(reference);

    // The stopped members return and catch up.
    for (const id of stopped) cluster.start(id);
    await cluster.waitForLeader();
    await converged([1, 2, 3, 4, 5]);
    for (const id of stopped) expect(await sequence(id)).toEqual(reference);
    for (const id of stopped) expect(cluster.logOf(id)).toContain('installed a snapshot from the leader');
  }, 180_000);
});
