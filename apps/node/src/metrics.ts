/**
 * Prometheus metrics of a member, served over HTTP at `/metrics`: role,
 * term, indexes, proposals, apply and durable-append latency, per-peer
 * queue depth and transport counters, rejected messages.
 */
import { createServer, type Server } from 'node:http';
import type { TransportStats } from '@raftkit/transport-grpc';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics a member records. */
export class NodeMetrics {
  /** Holds every metric below and the process metrics (prefixed `raftkit_process_`); `/metrics` writes it out. */
  readonly registry = new Registry();
  /** `raftkit_role`: this member's Raft role as a number (0 follower, 1 pre-candidate, 2 candidate, 3 leader), set at each role change. */
  readonly role = new Gauge({ name: 'raftkit_role', help: 'Role of this member: 0 follower, 1 pre-candidate, 2 candidate, 3 leader', registers: [this.registry] });
  /** `raftkit_is_leader`: 1 while this member is the leader, 0 otherwise. */
  readonly isLeader = new Gauge({ name: 'raftkit_is_leader', help: '1 when this member leads', registers: [this.registry] });
  /** `raftkit_term`: the Raft term this member is in, set at each role change and refreshed every second. */
  readonly term = new Gauge({ name: 'raftkit_term', help: 'Current Raft term', registers: [this.registry] });
  /** `raftkit_commit_index`: the highest log index this member knows to be committed (stored on a quorum), refreshed every second. */
  readonly commitIndex = new Gauge({ name: 'raftkit_commit_index', help: 'Highest log index known committed', registers: [this.registry] });
  /** `raftkit_applied_index`: the log index of the last entry applied to the key-value store, set after each applied batch. */
  readonly appliedIndex = new Gauge({ name: 'raftkit_applied_index', help: 'Highest log index applied to the key-value store', registers: [this.registry] });
  /** `raftkit_last_index`: the index of the last entry in this member's log, committed or not, refreshed every second. */
  readonly lastIndex = new Gauge({ name: 'raftkit_last_index', help: 'Last index of the local log', registers: [this.registry] });
  /** `raftkit_snapshot_index`: the log index the latest snapshot taken or installed covers (0 when there is none), set when one is and refreshed every second. */
  readonly snapshotIndex = new Gauge({ name: 'raftkit_snapshot_index', help: 'Index of the latest snapshot', registers: [this.registry] });
  /** `raftkit_kv_revision`: the etcd revision of the key-value store (raised by one per applied write), refreshed every second. */
  readonly revision = new Gauge({ name: 'raftkit_kv_revision', help: 'Current key-value store revision', registers: [this.registry] });
  /** `raftkit_leader_changes_total`: how many leaders this member has seen take office since it started; see {@link observeLeader}. */
  readonly leaderChanges = new Counter({ name: 'raftkit_leader_changes_total', help: 'Times this member saw a new leader: another member, or the same one elected again in a later term', registers: [this.registry] });
  /**
   * `raftkit_proposals_total`: client writes (Put, DeleteRange, Txn with
   * writes, Compact) this member proposed to Raft, by outcome: `applied`
   * once one is applied here (a deterministic refusal such as a compacted
   * revision included), `failed` when Raft refused it or its outcome is
   * unknown (no leader, too many requests, timed out, stopped). Requests
   * refused before they are proposed (too large, invalid), membership
   * changes and members' address publications are not counted.
   */
  readonly proposals = new Counter({ name: 'raftkit_proposals_total', help: 'Client writes proposed on this member, by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  /**
   * `raftkit_reads_total`: client reads (Range, read-only Txn) started on
   * this member, by `kind`: `linearizable` ones wait for a ReadIndex round,
   * `serializable` ones are answered from this member's applied state.
   */
  readonly reads = new Counter({ name: 'raftkit_reads_total', help: 'Client reads, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  /**
   * `raftkit_durable_append_seconds`: seconds to persist one Ready: its
   * new log entries and hard state (synced to disk unless only the commit
   * index changed), and any snapshot or log compaction it carries.
   */
  readonly appendLatency = new Histogram({
    name: 'raftkit_durable_append_seconds',
    help: 'Time to make one Ready durable (entries and hard state)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  /** `raftkit_appended_entries_total`: log entries this member has persisted, as leader or follower. */
  readonly appendEntries = new Counter({ name: 'raftkit_appended_entries_total', help: 'Entries made durable', registers: [this.registry] });
  /** `raftkit_apply_seconds`: seconds to apply one batch of committed entries to the key-value store (one LMDB transaction) and hand out their results. */
  readonly applyLatency = new Histogram({
    name: 'raftkit_apply_seconds',
    help: 'Time to apply one batch of committed entries',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  /** `raftkit_snapshots_total`: snapshots this member took (`kind=taken`, for a follower that needed one or an operator) or installed from the leader (`kind=installed`). */
  readonly snapshots = new Counter({ name: 'raftkit_snapshots_total', help: 'Snapshots taken (kind=taken) or installed from the leader (kind=installed)', labelNames: ['kind'] as const, registers: [this.registry] });
  /** `raftkit_peer_queue_depth`: messages waiting in the transport's queue to a peer, per peer the member dials, refreshed every second. */
  readonly peerQueueDepth = new Gauge({ name: 'raftkit_peer_queue_depth', help: 'Messages waiting to be sent to a peer', labelNames: ['peer'] as const, registers: [this.registry] });
  /** `raftkit_peer_connected`: 1 while the message stream to a peer is up, 0 otherwise, per peer the member dials, refreshed every second. */
  readonly peerConnected = new Gauge({ name: 'raftkit_peer_connected', help: '1 when the stream to a peer is up', labelNames: ['peer'] as const, registers: [this.registry] });
  /** `raftkit_peer_sent_messages_total`: Raft messages sent to a peer, per peer. */
  readonly peerSent = new Counter({ name: 'raftkit_peer_sent_messages_total', help: 'Messages sent to a peer', labelNames: ['peer'] as const, registers: [this.registry] });
  /** `raftkit_peer_dropped_messages_total`: messages to a peer dropped instead of sent (queue full, stream down, too large), per peer; Raft sends them again as needed. */
  readonly peerDropped = new Counter({ name: 'raftkit_peer_dropped_messages_total', help: 'Messages to a peer dropped (queue full, stream down, too large)', labelNames: ['peer'] as const, registers: [this.registry] });
  /** `raftkit_peer_rejected_messages_total`: frames or snapshots from a known peer that failed validation and were refused, per peer. */
  readonly peerRejected = new Counter({ name: 'raftkit_peer_rejected_messages_total', help: 'Frames or snapshots from a peer refused by validation', labelNames: ['peer'] as const, registers: [this.registry] });
  /** `raftkit_rejected_unattributed_messages_total`: frames refused before a known sender could be told (unknown members, another cluster, garbage): a misconfigured member or cluster token shows here. */
  readonly rejectedUnattributed = new Counter({
    name: 'raftkit_rejected_unattributed_messages_total',
    help: 'Frames refused before a known sender could be told: from unknown members, other clusters, or garbage',
    registers: [this.registry],
  });
  /** The leader and term of the last leadership this member saw, so that each is counted once. */
  private lastLeadership: { lead: number; term: number } | undefined;
  /** The transport's running totals at the last refresh, to turn them into counter increments. */
  private readonly lastTotals = new Map<string, number>();
  /** The peers whose gauges were set at the last refresh. */
  private gaugedPeers = new Set<string>();

  /** Creates the metrics in a registry of their own, with Node's process metrics. */
  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'raftkit_process_' });
  }

  /**
   * Counts a leader change when this member learns of a leadership it had
   * not seen last: another member leads, or the same member was elected
   * again in a later term (as etcd's `etcd_server_leader_changes_seen_total`
   * counts). `lead` 0 (no leader known, as while a member campaigns) counts
   * nothing, so losing sight of a leader and finding it again in the same
   * term is no change.
   */
  observeLeader(lead: number, term: number): void {
    if (lead === 0) return;
    const last = this.lastLeadership;
    if (last && last.lead === lead && last.term === term) return;
    this.lastLeadership = { lead, term };
    this.leaderChanges.inc();
  }

  /**
   * Records the transport's per-peer gauges and raises its counters by what
   * changed since the last call. The gauges of a peer the transport no
   * longer has (a removed member) go away; its counters keep their totals.
   */
  recordTransport(stats: TransportStats): void {
    const current = new Set(stats.peers.map((p) => String(p.id)));
    for (const peer of this.gaugedPeers) {
      if (current.has(peer)) continue;
      this.peerQueueDepth.remove({ peer });
      this.peerConnected.remove({ peer });
    }
    this.gaugedPeers = current;
    for (const p of stats.peers) {
      const peer = String(p.id);
      this.peerQueueDepth.set({ peer }, p.queueDepth);
      this.peerConnected.set({ peer }, p.connected ? 1 : 0);
      this.raise(this.peerSent, `sent/${peer}`, p.sent, { peer });
      this.raise(this.peerDropped, `dropped/${peer}`, p.dropped, { peer });
      this.raise(this.peerRejected, `rejected/${peer}`, p.rejected, { peer });
    }
    this.raise(this.rejectedUnattributed, 'unattributed', stats.rejectedUnattributed);
  }

  private raise<L extends string>(counter: Counter<L>, key: string, total: number, labels?: Partial<Record<L, string>>): void {
    const last = this.lastTotals.get(key) ?? 0;
    // A total below the last one started over (the peer was removed and added again).
    const delta = total >= last ? total - last : total;
    this.lastTotals.set(key, total);
    if (delta === 0) return;
    if (labels) counter.inc(labels, delta);
    else counter.inc(delta);
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
