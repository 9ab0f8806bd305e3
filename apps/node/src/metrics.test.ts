import type { PeerStats, TransportStats } from '@raftkit/transport-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeMetrics, serveMetrics } from './metrics.js';

function peer(id: number, counts: Partial<PeerStats>): PeerStats {
  return { id, connected: true, queueDepth: 0, sent: 0, dropped: 0, rejected: 0, ...counts } as PeerStats;
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** Scrapes /metrics over HTTP, as Prometheus would. */
async function scrape(metrics: NodeMetrics): Promise<string> {
  const { server, port } = await serveMetrics(metrics, '127.0.0.1', 0, () => true);
  closers.push(() => server.close());
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('NodeMetrics', () => {
  it('counts a leader change once per leadership seen, not per role change', async () => {
    const m = new NodeMetrics();
    // Campaigning with no leader known, then following member 2 in term 1.
    m.observeLeader(0, 1);
    m.observeLeader(2, 1);
    // A pre-vote that finds member 2 still leading: no change.
    m.observeLeader(0, 1);
    m.observeLeader(2, 1);
    // An election member 3 wins, then one member 3 wins again.
    m.observeLeader(0, 2);
    m.observeLeader(3, 2);
    m.observeLeader(0, 3);
    m.observeLeader(3, 3);
    const text = await scrape(m);
    expect(text).toContain('# TYPE raftkit_leader_changes_total counter');
    expect(text).toContain('raftkit_leader_changes_total 3');
  });

  it('exports the transport totals as counters named *_total, raised by what changed', async () => {
    const m = new NodeMetrics();
    const stats = (s: TransportStats) => m.recordTransport(s);
    stats({ peers: [peer(2, { sent: 10, dropped: 1, rejected: 0, queueDepth: 3 })], rejectedUnattributed: 2 });
    stats({ peers: [peer(2, { sent: 25, dropped: 1, rejected: 4, queueDepth: 1 })], rejectedUnattributed: 5 });
    const text = await scrape(m);
    expect(text).toContain('# TYPE raftkit_peer_sent_messages_total counter');
    expect(text).toContain('raftkit_peer_sent_messages_total{peer="2"} 25');
    expect(text).toContain('# TYPE raftkit_peer_dropped_messages_total counter');
    expect(text).toContain('raftkit_peer_dropped_messages_total{peer="2"} 1');
    expect(text).toContain('raftkit_peer_rejected_messages_total{peer="2"} 4');
    expect(text).toContain('# TYPE raftkit_rejected_unattributed_messages_total counter');
    expect(text).toContain('raftkit_rejected_unattributed_messages_total 5');
    expect(text).toContain('raftkit_peer_queue_depth{peer="2"} 1');
    expect(text).not.toMatch(/^raftkit_peer_sent_messages\{/m);
  });

  it('keeps counting up when a peer\'s totals start over (removed and added again)', async () => {
    const m = new NodeMetrics();
    m.recordTransport({ peers: [peer(3, { sent: 100 })], rejectedUnattributed: 0 });
    m.recordTransport({ peers: [peer(3, { sent: 7 })], rejectedUnattributed: 0 });
    expect(await scrape(m)).toContain('raftkit_peer_sent_messages_total{peer="3"} 107');
  });

  it("drops the gauges of a peer the transport no longer has, keeping its counters", async () => {
    const m = new NodeMetrics();
    m.recordTransport({ peers: [peer(2, { sent: 5 }), peer(3, { sent: 9, queueDepth: 2 })], rejectedUnattributed: 0 });
    m.recordTransport({ peers: [peer(2, { sent: 6 })], rejectedUnattributed: 0 });
    const text = await scrape(m);
    expect(text).toContain('raftkit_peer_connected{peer="2"} 1');
    expect(text).not.toContain('raftkit_peer_connected{peer="3"}');
    expect(text).not.toContain('raftkit_peer_queue_depth{peer="3"}');
    expect(text).toContain('raftkit_peer_sent_messages_total{peer="3"} 9');
  });
});
