/**
 * The Prometheus metrics of real members, scraped over HTTP as Prometheus
 * would: role and term, the log indexes, the proposal counter, the
 * durable-append and apply histograms and the snapshot gauges move with the
 * writes a member takes; leader changes count leaders seen, not role changes.
 */
import type { adminv1, etcdserverpb } from '@raftkit/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

/** Every sample of member `id`'s /metrics, by name and labels as written (`raftkit_proposals_total{outcome="applied"}`). */
async function scrape(cluster: LocalCluster, id: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${cluster.member(id).metrics}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** A sample's value; a labelled counter nothing has raised yet is not written, and counts 0. */
function value(samples: Map<string, number>, name: string): number {
  return samples.get(name) ?? 0;
}

/** Scrapes until `done` holds (the index gauges are refreshed once a second), or returns the last scrape after `timeoutMs`. */
async function scrapeUntil(cluster: LocalCluster, id: number, done: (s: Map<string, number>) => boolean, timeoutMs = 3000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(cluster, id);
    if (done(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('metrics', () => {
  let c: LocalCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('move with the writes a leader takes', async () => {
    c = await LocalCluster.create([1]);
    const cluster = c;
    cluster.start(1);
    await cluster.waitForLeader(20_000, [1]);
    const before = await scrapeUntil(cluster, 1, (s) => value(s, 'raftkit_commit_index') > 0);
    expect(value(before, 'raftkit_role')).toBe(3);
    expect(value(before, 'raftkit_is_leader')).toBe(1);
    expect(value(before, 'raftkit_term')).toBeGreaterThan(0);
    expect(value(before, 'raftkit_commit_index')).toBeGreaterThan(0);
    expect(value(before, 'raftkit_applied_index')).toBeGreaterThan(0);
    // Campaigning and winning are role changes, but one leader.
    expect(value(before, 'raftkit_leader_changes_total')).toBe(1);

    // One put after another, so each is appended and applied on its own.
    const writes = 20;
    for (let i = 0; i < writes; i++) {
      await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(1, 'put', putReq(`metrics/${i}`, 'v'));
    }
    const grew = (name: string, s: Map<string, number>) => value(s, name) - value(before, name);
    const after = await scrapeUntil(cluster, 1, (s) => grew('raftkit_commit_index', s) >= writes && grew('raftkit_last_index', s) >= writes);
    const report = (name: string) => `${name}: ${value(before, name)} -> ${value(after, name)}`;
    for (const name of ['raftkit_commit_index', 'raftkit_applied_index', 'raftkit_last_index', 'raftkit_appended_entries_total', 'raftkit_durable_append_seconds_count', 'raftkit_apply_seconds_count']) {
      expect(grew(name, after), report(name)).toBeGreaterThanOrEqual(writes);
    }
    expect(grew('raftkit_durable_append_seconds_sum', after)).toBeGreaterThan(0);
    expect(grew('raftkit_apply_seconds_sum', after)).toBeGreaterThan(0);
    expect(grew('raftkit_proposals_total{outcome="applied"}', after)).toBe(writes);
    expect(grew('raftkit_proposals_total{outcome="failed"}', after)).toBe(0);
    expect(grew('raftkit_kv_revision', after)).toBe(writes);
    expect(value(after, 'raftkit_role')).toBe(3);
    expect(value(after, 'raftkit_term')).toBe(value(before, 'raftkit_term'));
    expect(value(after, 'raftkit_leader_changes_total')).toBe(1);

    // Reads count by kind: a linearizable range and a read-only txn of one
    // linearizable range take a ReadIndex round each; serializable ones none.
    await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(1, 'range', rangeReq('metrics/0'));
    await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(1, 'range', rangeReq('metrics/0', '', { serializable: true }));
    await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(1, 'range', rangeReq('metrics/1', '', { serializable: true }));
    const readTxn = (serializable: boolean): etcdserverpb.TxnRequest => ({
      compare: [],
      success: [{ request: { $case: 'requestRange', value: rangeReq('metrics/2', '', { serializable }) } }],
      failure: [],
    });
    await cluster.kv<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse>(1, 'txn', readTxn(false));
    await cluster.kv<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse>(1, 'txn', readTxn(true));
    const read = await scrape(cluster, 1);
    expect(value(read, 'raftkit_reads_total{kind="linearizable"}') - value(after, 'raftkit_reads_total{kind="linearizable"}')).toBe(2);
    expect(value(read, 'raftkit_reads_total{kind="serializable"}') - value(after, 'raftkit_reads_total{kind="serializable"}')).toBe(3);
    expect(value(read, 'raftkit_proposals_total{outcome="applied"}')).toBe(value(after, 'raftkit_proposals_total{outcome="applied"}'));

    // A snapshot moves the snapshot gauge to its index at once.
    const snap = await cluster.admin<adminv1.TakeSnapshotRequest, adminv1.TakeSnapshotResponse>(1, 'takeSnapshot', {});
    expect(snap.index).toBeGreaterThanOrEqual(value(after, 'raftkit_applied_index'));
    const snapped = await scrape(cluster, 1);
    expect(value(snapped, 'raftkit_snapshot_index')).toBe(snap.index);
    expect(value(snapped, 'raftkit_snapshots_total{kind="taken"}') - value(after, 'raftkit_snapshots_total{kind="taken"}')).toBe(1);
  });

  it('count a leader change per leader seen, not per role change', async () => {
    c = await LocalCluster.create([1, 2, 3]);
    const cluster = c;
    cluster.startAll();
    const first = await cluster.waitForLeader();
    // Leadership is one per term, so no member can have seen more leaders
    // than its term; campaigns (pre-candidate, candidate) would take the
    // count past it if they were counted.
    const seen = (s: Map<string, number>) => value(s, 'raftkit_leader_changes_total');
    for (const id of [1, 2, 3]) {
      const s = await scrapeUntil(cluster, id, (x) => seen(x) >= 1);
      expect(value(s, 'raftkit_role'), `member ${id}`).toBe(id === first.id ? 3 : 0);
      expect(value(s, 'raftkit_is_leader'), `member ${id}`).toBe(id === first.id ? 1 : 0);
      expect(seen(s), `member ${id}`).toBeGreaterThanOrEqual(1);
      expect(seen(s), `member ${id} saw ${seen(s)} leaders by term ${value(s, 'raftkit_term')}`).toBeLessThanOrEqual(value(s, 'raftkit_term'));
    }

    await cluster.kill(first.id);
    const survivors = [1, 2, 3].filter((id) => id !== first.id);
    const next = await cluster.waitForLeader(20_000, survivors);
    for (const id of survivors) {
      const s = await scrapeUntil(cluster, id, (x) => seen(x) >= 2);
      expect(value(s, 'raftkit_role'), `member ${id}`).toBe(id === next.id ? 3 : 0);
      expect(seen(s), `member ${id}\n${cluster.logs()}`).toBeGreaterThanOrEqual(2);
      expect(seen(s), `member ${id} saw ${seen(s)} leaders by term ${value(s, 'raftkit_term')}`).toBeLessThanOrEqual(value(s, 'raftkit_term'));
    }
  });
});
