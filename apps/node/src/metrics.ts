/**
 * Prometheus metrics of a member, served over HTTP at `/metrics`: role,
 * term, indexes, proposals, apply and durable-append latency, per-peer
 * queue depth and transport counters, rejected messages.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics a member records. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly role = new Gauge({ name: 'raftkit_role', help: 'Role of this member: 0 follower, 1 pre-candidate, 2 candidate, 3 leader', registers: [this.registry] });
  readonly isLeader = new Gauge({ name: 'raftkit_is_leader', help: '1 when this member leads', registers: [this.registry] });
  readonly term = new Gauge({ name: 'raftkit_term', help: 'Current Raft term', registers: [this.registry] });
  readonly commitIndex = new Gauge({ name: 'raftkit_commit_index', help: 'Highest log index known committed', registers: [this.registry] });
  readonly appliedIndex = new Gauge({ name: 'raftkit_applied_index', help: 'Highest log index applied to the key-value store', registers: [this.registry] });
  readonly lastIndex = new Gauge({ name: 'raftkit_last_index', help: 'Last index of the local log', registers: [this.registry] });
  readonly snapshotIndex = new Gauge({ name: 'raftkit_snapshot_index', help: 'Index of the latest snapshot', registers: [this.registry] });
  readonly revision = new Gauge({ name: 'raftkit_kv_revision', help: 'Current key-value store revision', registers: [this.registry] });
  readonly leaderChanges = new Counter({ name: 'raftkit_leader_changes_total', help: 'Leader changes seen by this member', registers: [this.registry] });
  readonly proposals = new Counter({ name: 'raftkit_proposals_total', help: 'Client writes proposed on this member, by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly reads = new Counter({ name: 'raftkit_reads_total', help: 'Client reads, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly appendLatency = new Histogram({
    name: 'raftkit_durable_append_seconds',
    help: 'Time to make one Ready durable (entries and hard state)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly appendEntries = new Counter({ name: 'raftkit_appended_entries_total', help: 'Entries made durable', registers: [this.registry] });
  readonly applyLatency = new Histogram({
    name: 'raftkit_apply_seconds',
    help: 'Time to apply one batch of committed entries',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly snapshots = new Counter({ name: 'raftkit_snapshots_total', help: 'Snapshots taken (kind=taken) or installed from the leader (kind=installed)', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly peerQueueDepth = new Gauge({ name: 'raftkit_peer_queue_depth', help: 'Messages waiting to be sent to a peer', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly peerConnected = new Gauge({ name: 'raftkit_peer_connected', help: '1 when the stream to a peer is up', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly peerSent = new Gauge({ name: 'raftkit_peer_sent_messages', help: 'Messages sent to a peer since start', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly peerDropped = new Gauge({ name: 'raftkit_peer_dropped_messages', help: 'Messages to a peer dropped (queue full, stream down)', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly peerRejected = new Gauge({ name: 'raftkit_peer_rejected_messages', help: 'Messages from a peer refused by validation', labelNames: ['peer'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'raftkit_process_' });
  }
}

/** Serves `/metrics` (and `/health` for load balancers) on `host:port`. */
export async function serveMetrics(metrics: NodeMetrics, host: string, port: number, isHealthy: () => boolean): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        },
        (e: Error) => {
          res.writeHead(500);
          res.end(e.message);
        },
      );
      return;
    }
    if (req.url === '/health') {
      const ok = isHealthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ health: ok ? 'true' : 'false' }));
      return;
    }
    res.writeHead(404);
    res.end('not found: try /metrics or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}
