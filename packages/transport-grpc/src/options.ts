import { type RaftLogger, silentLogger } from '@raftkit/core';
import type { BackoffOptions } from './backoff.js';
import { TransportUsageError } from './errors.js';
import type { PeerAddress, SnapshotSink, SnapshotSource, TlsOptions, TransportHandler } from './types.js';

const MiB = 1024 * 1024;

/** How to build a {@link GrpcTransport}. Only `id`, `clusterId` and `handler` are required. */
export interface GrpcTransportOptions {
  /** This member's Raft id (a positive integer). */
  id: number;
  /**
   * The cluster's id, a positive integer below 2^53 derived by the
   * application. Frames carrying another cluster id are refused.
   */
  clusterId: number;
  /** The other members. Change them later with `setPeer` and `removePeer`. */
  peers?: readonly PeerAddress[];
  /** Where incoming messages and delivery problems go. */
  handler: TransportHandler;
  /** Where outgoing snapshot bytes come from (default: the bytes in the `Snap` message). */
  snapshotSource?: SnapshotSource;
  /** Where incoming snapshots are written. Without one, incoming snapshots are refused. */
  snapshotSink?: SnapshotSink;
  /** TLS or mutual TLS for both the peer service and outgoing connections; plaintext when absent. */
  tls?: TlsOptions;
  /**
   * Where the transport logs snapshot transfers, broken streams, refused
   * input and handlers that throw; broken streams and refused input are
   * logged at most once per peer per `rejectLogIntervalMs`. Default: a
   * logger that discards everything.
   */
  logger?: RaftLogger;
  /**
   * Largest frame sent or accepted, in bytes. Every member must use the same
   * value. A single message larger than this cannot be sent and is dropped.
   * Default 4 MiB (gRPC's default receive limit).
   */
  maxMessageBytes?: number;
  /** Most messages waiting for one peer; more are dropped. Default 4096. */
  maxQueueMessages?: number;
  /** Most estimated bytes waiting for one peer; more are dropped. Default 64 MiB. */
  maxQueueBytes?: number;
  /** Size of the chunks a snapshot is streamed in. Default 1 MiB. */
  snapshotChunkBytes?: number;
  /** Attempts at sending one snapshot before reporting failure. Default 3. */
  snapshotAttempts?: number;
  /** A snapshot transfer that makes no progress for this long is abandoned. Default 30 s. */
  snapshotStallTimeoutMs?: number;
  /** Reconnect backoff. Default 50 ms doubling to 2 s, with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** An outgoing stream not established within this time is abandoned and retried. Default 5 s. */
  connectTimeoutMs?: number;
  /** Interval of HTTP/2 keepalive pings that detect dead connections. Default 10 s. */
  keepaliveMs?: number;
  /** A keepalive ping unanswered for this long closes the connection. Default 5 s. */
  keepaliveTimeoutMs?: number;
  /** Refused input is logged at most once per peer per this interval. Default 10 s. */
  rejectLogIntervalMs?: number;
  /** Source of randomness for backoff jitter, in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * {@link GrpcTransportOptions} with every default filled in; each field
 * means what the option of the same name means.
 */
export interface ResolvedOptions extends Required<Omit<GrpcTransportOptions, 'snapshotSource' | 'snapshotSink' | 'tls' | 'backoff'>> {
  /** The configured source, or undefined to send the bytes carried in the `Snap` message. */
  snapshotSource: SnapshotSource | undefined;
  /** The configured sink, or undefined when incoming snapshots are refused. */
  snapshotSink: SnapshotSink | undefined;
  /** The TLS material, or undefined for plaintext. */
  tls: TlsOptions | undefined;
  /** The reconnect backoff with both bounds set. */
  backoff: BackoffOptions;
}

/** Room left in a frame for everything but chunk bytes (header fields, tags, lengths). */
export const FRAME_OVERHEAD_BYTES = 1024;

/**
 * Fills in defaults and checks every option, reporting all problems at once.
 * @throws TransportUsageError naming each bad option, its value and what was expected
 */
export function resolveOptions(o: GrpcTransportOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    id: o.id,
    clusterId: o.clusterId,
    peers: o.peers ?? [],
    handler: o.handler,
    snapshotSource: o.snapshotSource,
    snapshotSink: o.snapshotSink,
    tls: o.tls,
    logger: o.logger ?? silentLogger,
    maxMessageBytes: o.maxMessageBytes ?? 4 * MiB,
    maxQueueMessages: o.maxQueueMessages ?? 4096,
    maxQueueBytes: o.maxQueueBytes ?? 64 * MiB,
    snapshotChunkBytes: o.snapshotChunkBytes ?? MiB,
    snapshotAttempts: o.snapshotAttempts ?? 3,
    snapshotStallTimeoutMs: o.snapshotStallTimeoutMs ?? 30_000,
    backoff: { initialMs: o.backoff?.initialMs ?? 50, maxMs: o.backoff?.maxMs ?? 2000 },
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    keepaliveMs: o.keepaliveMs ?? 10_000,
    keepaliveTimeoutMs: o.keepaliveTimeoutMs ?? 5000,
    rejectLogIntervalMs: o.rejectLogIntervalMs ?? 10_000,
    random: o.random ?? Math.random,
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: unknown): void => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      problems.push(`${name} is ${describe(v)}; expected a positive integer below 2^53`);
    }
  };
  positiveInt('id', r.id);
  positiveInt('clusterId', r.clusterId);
  positiveInt('maxMessageBytes', r.maxMessageBytes);
  positiveInt('maxQueueMessages', r.maxQueueMessages);
  positiveInt('maxQueueBytes', r.maxQueueBytes);
  positiveInt('snapshotChunkBytes', r.snapshotChunkBytes);
  positiveInt('snapshotAttempts', r.snapshotAttempts);
  positiveInt('snapshotStallTimeoutMs', r.snapshotStallTimeoutMs);
  positiveInt('backoff.initialMs', r.backoff.initialMs);
  positiveInt('backoff.maxMs', r.backoff.maxMs);
  positiveInt('connectTimeoutMs', r.connectTimeoutMs);
  positiveInt('keepaliveMs', r.keepaliveMs);
  positiveInt('keepaliveTimeoutMs', r.keepaliveTimeoutMs);
  positiveInt('rejectLogIntervalMs', r.rejectLogIntervalMs);
  if (typeof o.handler !== 'object' || o.handler === null || typeof o.handler.onMessages !== 'function') {
    problems.push(`handler is ${describe(o.handler)}; expected an object with onMessages, onUnreachable and onSnapshotStatus`);
  }
  if (r.backoff.maxMs < r.backoff.initialMs) {
    problems.push(`backoff.maxMs is ${r.backoff.maxMs}; expected at least backoff.initialMs (${r.backoff.initialMs})`);
  }
  if (r.snapshotChunkBytes + FRAME_OVERHEAD_BYTES > r.maxMessageBytes) {
    problems.push(
      `snapshotChunkBytes is ${r.snapshotChunkBytes}; expected at most maxMessageBytes - ${FRAME_OVERHEAD_BYTES} (${r.maxMessageBytes - FRAME_OVERHEAD_BYTES}) so a chunk fits a frame`,
    );
  }
  if (r.maxQueueBytes < r.maxMessageBytes) {
    problems.push(`maxQueueBytes is ${r.maxQueueBytes}; expected at least maxMessageBytes (${r.maxMessageBytes})`);
  }
  const seen = new Set<number>();
  for (const p of r.peers) {
    const problem = peerProblem(p, r.id);
    if (problem) problems.push(problem);
    else if (seen.has(p.id)) problems.push(`peers lists member ${p.id} twice; expected each member once`);
    seen.add(p.id);
  }
  if (problems.length > 0) throw new TransportUsageError(`invalid transport options: ${problems.join('; ')}`);
  return r;
}

/** Why `p` is not a usable peer of member `self`, or undefined if it is. */
export function peerProblem(p: PeerAddress, self: number): string | undefined {
  if (typeof p !== 'object' || p === null) return `peer is ${describe(p)}; expected { id, address }`;
  if (!Number.isSafeInteger(p.id) || p.id <= 0) return `peer id is ${describe(p.id)}; expected a positive integer below 2^53`;
  if (p.id === self) return `peer ${p.id} is this member itself; expected only the other members`;
  if (typeof p.address !== 'string' || !/^.+:\d{1,5}$/.test(p.address)) {
    return `address of peer ${p.id} is ${describe(p.address)}; expected host:port`;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === undefined || v === null) return String(v);
  return typeof v;
}
