/**
 * A raftkit member: the Raft core driven by RaftNode over LMDB storage and
 * the gRPC transport, a key-value state machine with etcd v3 semantics, and
 * the services clients and operators use (KV, Cluster, Maintenance, Admin,
 * gRPC health) plus Prometheus metrics.
 */
import { createHash } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { NodeConfig } from '@raftkit/config';
import { type Clock, type Message, RaftNode, type RaftNodeEvent, StateRole } from '@raftkit/core';
import { adminv1, etcdserverpb, healthv1 } from '@raftkit/proto';
import { RaftStorage } from '@raftkit/storage-lmdb';
import { GrpcTransport, type PeerAddress, type SnapshotSink, type SnapshotSource, channelCredentials, serverCredentials } from '@raftkit/transport-grpc';
import type { Logger } from 'pino';
import { MemberDirectory } from './cluster/directory.js';
import { handOffLeadership } from './cluster/handoff.js';
import { readMember } from './cluster/registry.js';
import { ETCD_ERRORS, grpcError } from './grpc-errors.js';
import { type KvCommand, type MemberAttributes, encodeCommand } from './kv/commands.js';
import { KvStateMachine } from './kv/kv-state-machine.js';
import { lmdbTableReader } from './kv/lmdb-table.js';
import { raftLogger } from './logging.js';
import { NodeMetrics, serveMetrics } from './metrics.js';
import { adminService } from './services/admin-service.js';
import { clusterService, maintenanceService } from './services/cluster-service.js';
import { CallGate } from './services/gate.js';
import { HealthState, healthService } from './services/health-service.js';
import { type KvApplyResult, type KvBackend, kvService } from './services/kv-service.js';
import { clientServerCredentials, peerTransportTls } from './tls.js';

/** raftkit's version, reported by Maintenance.Status and the admin API. */
export const VERSION = '0.1.0';

/** The real clock: timers of the Node event loop. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
  defer: (fn) => setImmediate(fn),
};

/** The cluster id every member derives from the cluster token (a 52-bit number, as etcd ids fit JavaScript). */
export function clusterIdOf(token: string): number {
  const digest = createHash('sha256').update(`raftkit-cluster:${token}`).digest();
  return (digest.readUInt32BE(0) & 0xfffff) * 0x100000000 + digest.readUInt32BE(4) || 1;
}

/** Where a running member listens (ports resolved when 0 was asked). */
export interface ServerAddresses {
  /** `host:port` of each client listener (KV, Cluster, Maintenance, Admin, health), in the order configured. */
  client: string[];
  /** `host:port` of each peer listener, where the other members' Raft messages and snapshots arrive. */
  peer: string[];
  /** `host:port` of each HTTP listener serving `/metrics` and `/health`; empty when none was configured. */
  metrics: string[];
}

/** A running member. */
export interface RaftkitServer {
  /** The configuration the member was started with. */
  readonly config: NodeConfig;
  /** The Raft node that orders this member's writes and reads; its results are the key-value responses of applied commands. */
  readonly node: RaftNode<KvApplyResult | undefined>;
  /** Where the member listens, with the ports the system picked for listeners configured on port 0. */
  readonly addresses: ServerAddresses;
  /** The id derived from the cluster token ({@link clusterIdOf}); peers with another are refused, and it is in every response header. */
  readonly clusterId: number;
  /**
   * Stops serving, lets in-flight work finish, closes storage. At once,
   * health turns NOT_SERVING and new client calls are refused with
   * "etcdserver: server stopped"; the calls already running are answered
   * (for up to {@link SHUTDOWN_DRAIN_MS}); then Raft, the transport and
   * storage stop. A leader of more than one voter first hands its
   * leadership to the most up-to-date voter (for up to
   * {@link SHUTDOWN_TRANSFER_MS}). `{ force: true }` (a second signal)
   * drops what is still running instead of waiting for it and skips the
   * hand-off, also when it comes while an earlier stop is under way (the
   * promise is then that same stop's).
   */
  stop(options?: { force?: boolean }): Promise<void>;
}

/**
 * How long a shutdown waits for the client calls already running: RaftNode's
 * request timeout (5 s), after which every pending proposal or read has
 * failed with "request timed out", plus time to write those answers.
 */
export const SHUTDOWN_DRAIN_MS = 5_500;

/**
 * The longest a stopping leader waits for a member to take its leadership
 * over (it usually takes a round trip or two). The core gives up on a
 * transfer after one election timeout anyway, so that is the bound when it
 * is shorter.
 */
export const SHUTDOWN_TRANSFER_MS = 5_000;

function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Starts a member from its configuration: opens (or bootstraps) its data
 * directory, starts Raft, and binds the client, peer and metrics listeners.
 */
export async function startServer(config: NodeConfig, logger: Logger): Promise<RaftkitServer> {
  const rlog = raftLogger(logger);
  const metrics = new NodeMetrics();
  const clusterId = clusterIdOf(config.clusterToken);
  const founding = config.members.map((m) => m.id);
  // TLS that cannot work fails here, before anything is opened, never falling back to plain text.
  const peerTls = peerTransportTls(config.tls.peer);
  const clientCreds = clientServerCredentials(config.tls.client);
  const storage = await RaftStorage.open({
    dataDir: config.dataDir,
    // A member joining a running cluster starts empty and learns the membership from a snapshot.
    ...(config.clusterState === 'new' ? { bootstrap: { voters: founding } } : {}),
    logger: rlog,
    snapshotChunkBytes: config.limits.snapshotChunkBytes,
  });
  // Opening checks only the last entry. Verify every entry before serving, as
  // etcd checks each WAL record's CRC when it replays the WAL at start: damage
  // to an entry already applied would otherwise go unnoticed until the member
  // had to read it again, to send it to a follower that is behind.
  try {
    const started = performance.now();
    const { entries } = storage.log.checkIntegrity();
    logger.info({ entries, ms: Math.round(performance.now() - started) }, 'checked every log entry');
  } catch (e) {
    await storage.close();
    throw e;
  }
  if (await storage.stateMachine.restoreIfNeeded()) logger.info('restored the key-value state from the latest snapshot');
  const sm = new KvStateMachine(storage, rlog, (index) => metrics.appliedIndex.set(index));
  const directory = new MemberDirectory(config, () => lmdbTableReader(storage.stateMachine));
  const health = new HealthState();

  // Peer traffic.
  const snapshotSource: SnapshotSource = {
    open: async (metadata) => {
      const reader = await storage.snapshots.openReader(metadata);
      return { size: reader.size, chunks: reader, close: () => reader.close() };
    },
  };
  const snapshotSink: SnapshotSink = {
    begin: async (metadata) => {
      const writer = await storage.snapshots.createWriter(metadata);
      return {
        write: (chunk) => writer.write(chunk),
        commit: async () => {
          await writer.commit();
        },
        abort: () => writer.abort(),
      };
    },
  };
  const transport = new GrpcTransport({
    id: config.id,
    clusterId,
    // The members of the configuration this member last applied (or, joining, the ones it was given).
    peers: directory.peerAddresses(storage.log.initialState().confState),
    handler: {
      // The transport calls back only once it listens, after the node below exists.
      onMessages: (msgs: Message[]) => raftNode.receive(msgs),
      onUnreachable: (id) => raftNode.reportUnreachable(id),
      onSnapshotStatus: (id, ok) => raftNode.reportSnapshot(id, ok),
    },
    snapshotSource,
    snapshotSink,
    ...(peerTls ? { tls: peerTls } : {}),
    logger: rlog,
    maxMessageBytes: config.limits.maxPeerMessageBytes,
    snapshotChunkBytes: config.limits.snapshotChunkBytes,
  });

  const raftNode = new RaftNode<KvApplyResult | undefined>({
    raft: {
      id: config.id,
      electionTick: config.timing.electionTicks,
      electionTickMax: config.timing.electionTicksMax,
      heartbeatTick: config.timing.heartbeatTicks,
      maxSizePerMsg: config.limits.maxAppendBytes,
      maxInflightMsgs: config.limits.maxInflightMessages,
      maxUncommittedEntriesSize: config.limits.maxUncommittedBytes,
      logTailAfterSnapshot: config.snapshot.catchupEntries,
    },
    storage: {
      ...bindLogStorage(storage),
      persist: async (u) => {
        await storage.log.persist({
          entries: u.entries,
          ...(u.hardState ? { hardState: u.hardState } : {}),
          ...(u.snapshot ? { snapshot: u.snapshot } : {}),
          // A commit index alone need not wait for the disk (etcd's MustSync).
          sync: u.mustSync,
        });
        // An operator's `raftctl compact` may already have gone further.
        if (u.compactTo !== undefined && u.compactTo >= storage.log.firstIndex()) {
          storage.log.compact(u.compactTo).catch((e: Error) => logger.error({ err: e }, 'log compaction failed'));
        }
      },
    },
    stateMachine: sm,
    transport: { send: (msgs) => transport.send(msgs) },
    clock: systemClock,
    tickMs: config.timing.tickMs,
    snapshotInterval: config.snapshot.count,
    logger: rlog,
    onEvent: (e) => onNodeEvent(e, metrics, logger, health, () => {
      // Membership changes and snapshots may add, re-address or remove peers.
      if (sm.takeMembershipChange()) directory.syncTransport(transport, raftNode.raw.raft.trk.confState());
    }),
  });

  // Client-facing services.
  const kvBackend: KvBackend = {
    reader: () => sm.reader(),
    readTable: () => sm.readTable(),
    propose: async (cmd: KvCommand) => {
      const payload = encodeCommand(cmd);
      if (payload.length > config.limits.maxRequestBytes) throw ETCD_ERRORS.requestTooLarge();
      let result: KvApplyResult | undefined;
      try {
        result = await raftNode.propose(payload);
      } catch (e) {
        metrics.proposals.inc({ outcome: 'failed' });
        throw e;
      }
      // Applied, whatever the answer: counted once, as applied.
      metrics.proposals.inc({ outcome: 'applied' });
      if (!result) throw grpcError(grpc.status.INTERNAL, 'etcdserver: the request was applied without a result');
      return result;
    },
    read: async (consistency) => {
      metrics.reads.inc({ kind: consistency });
      if (consistency === 'linearizable') await raftNode.read();
    },
    header: (revision) => ({ clusterId, memberId: config.id, revision, raftTerm: raftNode.raw.raft.term }),
    maxRequestBytes: config.limits.maxRequestBytes,
    maxTxnOps: config.limits.maxTxnOps,
    authorize: (md) => authorize(config, md),
  };

  const clientServer = new grpc.Server({
    'grpc.max_receive_message_length': config.limits.maxRequestBytes + 64 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  // Every client call but health checks passes the gate, so a shutdown can refuse new ones and wait for the rest.
  const gate = new CallGate();
  clientServer.addService(etcdserverpb.KVService, gate.guard(kvService(kvBackend)));
  const context = { config, clusterId, node: raftNode, sm, storage, directory, transport, logger, version: VERSION, authorize: kvBackend.authorize };
  const cluster = clusterService(context);
  const maintenance = maintenanceService(context);
  clientServer.addService(etcdserverpb.ClusterService, gate.guard(cluster));
  clientServer.addService(etcdserverpb.MaintenanceService, gate.guard(maintenance));
  clientServer.addService(adminv1.AdminService, gate.guard(adminService(context)));
  clientServer.addService(healthv1.HealthService, healthService(health));

  const clientAddresses: string[] = [];
  for (const a of config.listen.client) {
    const port = await bindAsync(clientServer, hostPort(a), clientCreds);
    clientAddresses.push(hostPort({ host: a.host, port }));
  }

  // Counts the frames grpc-js's receive limit refuses, like the transport's own refusals.
  const peerServer = new grpc.Server(transport.serverOptions());
  transport.register(peerServer);
  const peerCreds = serverCredentials(peerTls);
  const peerAddresses: string[] = [];
  for (const a of config.listen.peer) {
    const port = await bindAsync(peerServer, hostPort(a), peerCreds);
    peerAddresses.push(hostPort({ host: a.host, port }));
  }

  const metricsServers: HttpServer[] = [];
  const metricsAddresses: string[] = [];
  for (const a of config.listen.metrics) {
    const { server, port } = await serveMetrics(metrics, a.host, a.port, () => !raftNode.failed && raftNode.raw.raft.lead !== 0);
    metricsServers.push(server);
    metricsAddresses.push(hostPort({ host: a.host, port }));
  }
  directory.setLocalClientUrls(clientAddresses);

  raftNode.start();
  // The only voter need not wait out an election timeout to lead.
  const voters = raftNode.raw.raft.trk.voterIds();
  if (voters.length === 1 && voters[0] === config.id) raftNode.campaign();
  const advertisedClient = config.advertise.client.filter((a) => a.port !== 0).map(hostPort);
  const publisher = new SelfPublisher(raftNode, config, storage, advertisedClient.length > 0 ? advertisedClient : clientAddresses, logger);
  const refresh = setInterval(() => {
    refreshGauges(raftNode, sm, metrics, transport, health);
    publisher.tick();
  }, 1000);
  refresh.unref();
  logger.info({ client: clientAddresses, peer: peerAddresses, metrics: metricsAddresses, dataDir: config.dataDir, clusterId }, 'raftkit member started');

  let stopping: Promise<void> | undefined;
  let forced: (() => void) | undefined;
  const force = new Promise<void>((resolve) => (forced = resolve));
  // Set by a forced stop, also one that comes while an earlier stop is under way.
  let forcing = false;
  return {
    config,
    node: raftNode,
    addresses: { client: clientAddresses, peer: peerAddresses, metrics: metricsAddresses },
    clusterId,
    stop: (options = {}) => {
      if (options.force) {
        forcing = true;
        forced!();
      }
      stopping ??= (async () => {
        clearInterval(refresh);
        health.shutDown();
        gate.close();
        // Raft keeps running meanwhile, so the pending proposals and reads can complete.
        const waiting = gate.inFlight;
        const drained = await Promise.race([gate.drained(SHUTDOWN_DRAIN_MS), force.then(() => false)]);
        if (waiting > 0) logger.info({ calls: waiting, answered: drained }, drained ? 'answered the requests in flight' : `dropping ${gate.inFlight} requests still in flight`);
        await closeGrpcServer(clientServer, drained ? 1000 : 0);
        // A leader hands over first, so the others need not wait out an election timeout.
        if (!forcing) {
          const electionMs = config.timing.electionTicks * config.timing.tickMs;
          await handOffLeadership(raftNode, logger, Math.min(SHUTDOWN_TRANSFER_MS, electionMs), force);
        }
        await raftNode.stop();
        await transport.close();
        peerServer.forceShutdown();
        for (const s of metricsServers) s.close();
        await storage.close();
        logger.info('raftkit member stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Records this member's name and addresses in the replicated member
 * registry (as etcd members publish their client URLs), so every member and
 * `raftctl` can find it even when the others were configured with peer
 * addresses only. Retries until one publication is applied (or the registry
 * already agrees).
 */
class SelfPublisher {
  private done = false;
  private inFlight = false;

  constructor(
    private readonly node: RaftNode<KvApplyResult | undefined>,
    private readonly config: NodeConfig,
    private readonly storage: RaftStorage,
    private readonly clientUrls: string[],
    private readonly logger: Logger,
  ) {}

  tick(): void {
    if (this.done || this.inFlight || this.node.failed || this.node.raw.raft.lead === 0) return;
    const cs = this.node.raw.raft.trk.confState();
    if (![...cs.voters, ...cs.learners, ...cs.votersOutgoing].includes(this.config.id)) return;
    // Without a configured name the member publishes none, so the name the
    // operator gave at `member add` (or `member update`) stays.
    const name = this.config.self.name;
    const want: MemberAttributes = { id: this.config.id, ...(name !== undefined ? { name } : {}), clientUrls: this.clientUrls };
    const have = readMember(lmdbTableReader(this.storage.stateMachine), this.config.id);
    if (have && (name === undefined || have.name === name) && have.clientUrls.join() === want.clientUrls.join()) {
      this.done = true;
      return;
    }
    this.inFlight = true;
    // A normal proposal, not a membership change, so it never holds up (or
    // is refused for) an operator's membership change. Published once per
    // start, like etcd's: an operator's later `member update` is not undone.
    this.node
      .propose(encodeCommand({ type: 'member-attributes', request: want }))
      .then(
        () => {
          this.done = true;
          this.logger.info({ clientUrls: want.clientUrls }, 'published this member\'s addresses to the cluster');
        },
        (e: Error) => this.logger.debug({ err: e }, 'publishing this member\'s addresses failed; will retry'),
      )
      .finally(() => {
        this.inFlight = false;
      });
  }
}

/** grpc-js's graceful shutdown (answers already written are flushed), forced after `graceMs`. */
function closeGrpcServer(server: grpc.Server, graceMs: number): Promise<void> {
  if (graceMs <= 0) {
    server.forceShutdown();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function bindAsync(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`));
      else resolve(port);
    });
  });
}

/** The LogStorage methods of the LMDB log, bound so they can be spread into NodeStorage. */
function bindLogStorage(storage: RaftStorage) {
  const log = storage.log;
  return {
    initialState: () => log.initialState(),
    entries: (lo: number, hi: number, max: number) => log.entries(lo, hi, max),
    term: (i: number) => log.term(i),
    lastIndex: () => log.lastIndex(),
    firstIndex: () => log.firstIndex(),
    snapshot: () => log.snapshot(),
  };
}

/** Checks the shared token clients must present (gRPC metadata `authorization: Bearer <token>` or `token`). */
function authorize(config: NodeConfig, md: grpc.Metadata): void {
  const token = config.auth.token;
  if (token === null) return;
  const given = md.get('authorization')[0] ?? md.get('token')[0];
  const text = typeof given === 'string' ? given : given?.toString();
  const presented = text?.startsWith('Bearer ') ? text.slice(7) : text;
  if (presented !== token) throw ETCD_ERRORS.invalidAuthToken();
}

function onNodeEvent(e: RaftNodeEvent, metrics: NodeMetrics, logger: Logger, health: HealthState, refreshPeers: () => void): void {
  switch (e.type) {
    case 'role':
      metrics.role.set({ follower: 0, 'pre-candidate': 1, candidate: 2, leader: 3 }[e.role]);
      metrics.isLeader.set(e.role === StateRole.Leader ? 1 : 0);
      metrics.term.set(e.term);
      metrics.observeLeader(e.lead, e.term);
      health.set(e.lead !== 0 ? healthv1.HealthCheckResponse_ServingStatus.SERVING : healthv1.HealthCheckResponse_ServingStatus.NOT_SERVING);
      logger.info({ role: e.role, leader: e.lead, term: e.term }, e.lead ? `member is ${e.role}; leader is ${e.lead}` : `member is ${e.role}; no leader`);
      return;
    case 'persisted':
      metrics.appendLatency.observe(e.ms / 1000);
      metrics.appendEntries.inc(e.entries);
      return;
    case 'applied':
      metrics.applyLatency.observe(e.ms / 1000);
      refreshPeers();
      return;
    case 'snapshot':
      metrics.snapshots.inc({ kind: 'taken' });
      metrics.snapshotIndex.set(e.index);
      logger.info({ index: e.index, ms: Math.round(e.ms) }, 'snapshot taken');
      return;
    case 'snapshot-installed':
      metrics.snapshots.inc({ kind: 'installed' });
      metrics.snapshotIndex.set(e.index);
      refreshPeers();
      logger.info({ index: e.index }, 'installed a snapshot from the leader');
      return;
    case 'fatal':
      health.set(healthv1.HealthCheckResponse_ServingStatus.NOT_SERVING);
      logger.fatal({ err: e.error }, 'the member stopped serving after an unrecoverable error');
      return;
  }
}

function refreshGauges(node: RaftNode<KvApplyResult | undefined>, sm: KvStateMachine, metrics: NodeMetrics, transport: GrpcTransport, _health: HealthState): void {
  const r = node.raw.raft;
  metrics.term.set(r.term);
  metrics.commitIndex.set(r.raftLog.committed);
  metrics.lastIndex.set(r.raftLog.lastIndex());
  metrics.snapshotIndex.set(node.latestSnapshotIndex);
  try {
    metrics.revision.set(sm.reader().revision());
  } catch {
    // Storage failed; the fatal event reports it.
  }
  metrics.recordTransport(transport.stats());
}

export type { PeerAddress };
export { grpcError, channelCredentials };
