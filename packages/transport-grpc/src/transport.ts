import * as grpc from '@grpc/grpc-js';
import { type Message, MessageType, isLocalMessage } from '@raftkit/core';
import type { raftv1 } from '@raftkit/proto';
import { Backoff } from './backoff.js';
import type { Refusal } from './envelope.js';
import { TransportUsageError } from './errors.js';
import { handleSendMessages } from './message-receiver.js';
import { type GrpcTransportOptions, type ResolvedOptions, peerProblem, resolveOptions } from './options.js';
import { PeerSender, peerChannelOptions } from './peer-sender.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { receiveLimitInterceptor } from './receive-limit.js';
import { type SnapshotReceiverContext, handleInstallSnapshot } from './snapshot-receiver.js';
import { inMessageReader, sendSnapshot } from './snapshot-sender.js';
import { INSTALL_SNAPSHOT_PATH, SEND_MESSAGES_PATH, peerServerOptions, peerServiceDefinition } from './service.js';
import { channelCredentials, serverCredentials } from './tls.js';
import type { PeerAddress, PeerStats, SnapshotReader, TransportStats } from './types.js';

/** Log key for problems not tied to a known member. */
const UNATTRIBUTED = 0;

interface Peer {
  sender: PeerSender;
  stats: PeerStats;
  /** Set while a snapshot is being sent to this peer. */
  snapshot: AbortController | undefined;
}

function newStats(id: number, address: string): PeerStats {
  return {
    id,
    address,
    connected: false,
    queueDepth: 0,
    queueBytes: 0,
    sent: 0,
    sentFrames: 0,
    sentBytes: 0,
    dropped: 0,
    received: 0,
    rejected: 0,
    reconnects: 0,
    snapshotsSent: 0,
    snapshotSendFailures: 0,
    snapshotsReceived: 0,
    snapshotReceiveFailures: 0,
  };
}

/**
 * Raft peer traffic over gRPC (`raftkit.raft.v1.RaftPeer`).
 *
 * - **Messages**: one long-lived `SendMessages` stream per ordered pair of
 *   members. {@link send} never blocks: messages queue per peer and leave
 *   at the end of the current event-loop turn, all of a turn's messages to
 *   a peer in one frame, in order. Queues are bounded in messages and bytes;
 *   what does not fit is dropped, counted, and the peer reported unreachable.
 * - **Reconnects**: a broken stream is re-opened after a capped exponential
 *   backoff with jitter, reset once a stream is established.
 * - **Snapshots**: a `Snap` message is not put on the stream; its bytes are
 *   read from the {@link SnapshotSource} and streamed in chunks with a
 *   SHA-256 through `InstallSnapshot`, on a connection of their own, retried
 *   on failure; the outcome goes to `onSnapshotStatus`.
 * - **Validation**: every incoming frame is checked (size, decoding, cluster
 *   id, known sender, receiver, message shape). Bad input ends the stream
 *   with a gRPC status that says what was wrong, is counted against the
 *   sender, and logged at most once per sender per interval.
 *
 * @example
 * ```ts
 * const transport = new GrpcTransport({
 *   id: 1, clusterId: 0x5eed, peers: [{ id: 2, address: '10.0.0.2:2380' }],
 *   handler: {
 *     onMessages: (ms) => ms.forEach((m) => node.step(m)),
 *     onUnreachable: (id) => node.reportUnreachable(id),
 *     onSnapshotStatus: (id, ok) => node.reportSnapshot(id, ok ? SnapshotStatus.Finish : SnapshotStatus.Failure),
 *   },
 * });
 * await transport.listen('0.0.0.0:2380');
 * transport.send(ready.messages);
 * ```
 */
export class GrpcTransport {
  private readonly o: ResolvedOptions;
  private readonly peers = new Map<number, Peer>();
  private readonly credentials: grpc.ChannelCredentials;
  private readonly streamLog: RateLimitedLog;
  private readonly rejectLog: RateLimitedLog;
  private readonly receiver: SnapshotReceiverContext;
  private readonly incoming = new Set<() => void>();
  /** The sender of each open incoming call so far, by the call's request metadata. */
  private readonly callSenders = new WeakMap<grpc.Metadata, () => number | undefined>();
  private readonly receiveLimit: grpc.ServerInterceptor;
  private readonly dirty = new Set<PeerSender>();
  private readonly unreachable = new Set<number>();
  private flushTimer: NodeJS.Immediate | undefined;
  private rejectedUnattributed = 0;
  private ownServer: grpc.Server | undefined;
  private readonly hostServers: grpc.Server[] = [];
  private closed = false;

  /**
   * Checks the options, reads TLS files and starts connecting to the peers.
   * @throws TransportUsageError for bad options or unreadable TLS files
   */
  constructor(options: GrpcTransportOptions) {
    this.o = resolveOptions(options);
    this.credentials = channelCredentials(this.o.tls);
    // Fail at construction rather than at listen() when server TLS files are bad.
    if (this.o.tls) serverCredentials(this.o.tls);
    this.streamLog = new RateLimitedLog(this.o.logger, this.o.rejectLogIntervalMs);
    this.rejectLog = new RateLimitedLog(this.o.logger, this.o.rejectLogIntervalMs);
    this.receiver = this.receiverContext();
    this.receiveLimit = receiveLimitInterceptor(new Set([SEND_MESSAGES_PATH, INSTALL_SNAPSHOT_PATH]), (metadata, details) => {
      const from = metadata && this.callSenders.get(metadata)?.();
      this.countRefusal({ code: grpc.status.RESOURCE_EXHAUSTED, details, ...(from !== undefined && { from }) });
    });
    for (const p of this.o.peers) this.addPeer(p);
  }

  /** This member's id. */
  get id(): number {
    return this.o.id;
  }

  /**
   * Options for a `grpc.Server` that is to host the peer service (they are
   * fixed at its construction): grpc-js refuses frames over
   * `maxMessageBytes` before buffering them, and the interceptor given here
   * counts and logs those refusals like every other. Other services on the
   * same server are not affected.
   */
  serverOptions(): grpc.ServerOptions {
    return { ...peerServerOptions(this.o), interceptors: [this.receiveLimit] };
  }

  /**
   * Serves the peer service on `server`, which the caller owns, binds and
   * shuts down. Create it with {@link serverOptions} so oversized frames are
   * refused before they are buffered, and counted; bind it with
   * {@link serverCredentials} for TLS. {@link close} removes the service.
   */
  register(server: grpc.Server): void {
    if (this.closed) throw new TransportUsageError('register() called on a closed transport');
    server.addService(peerServiceDefinition, {
      sendMessages: (call: grpc.ServerDuplexStream<Buffer, raftv1.SendMessagesResponse>) => handleSendMessages(this.receiver, call),
      installSnapshot: (
        call: grpc.ServerReadableStream<Buffer, raftv1.InstallSnapshotResponse>,
        callback: grpc.sendUnaryData<raftv1.InstallSnapshotResponse>,
      ) => handleInstallSnapshot(this.receiver, call, callback),
    });
    this.hostServers.push(server);
  }

  /**
   * Starts a server of the transport's own serving the peer service on
   * `address` (`host:port`; port 0 picks a free port), with TLS when
   * configured. Resolves with the bound port.
   */
  async listen(address: string): Promise<number> {
    if (this.closed) throw new TransportUsageError('listen() called on a closed transport');
    if (this.ownServer) throw new TransportUsageError('listen() called twice; the transport already has a server');
    const server = new grpc.Server(this.serverOptions());
    this.register(server);
    this.ownServer = server;
    return new Promise<number>((resolve, reject) => {
      server.bindAsync(address, serverCredentials(this.o.tls), (err, port) => {
        if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
  }

  /**
   * Sends messages to their `to` members without blocking. They leave at
   * the end of this event-loop turn; messages to one peer keep their order.
   * Problems are reported later through `onUnreachable`, never thrown.
   *
   * @throws TransportUsageError for a local message type or a message not
   *   from this member (a bug in the caller); nothing is sent then
   */
  send(messages: readonly Message[]): void {
    for (const m of messages) {
      if (isLocalMessage(m.type)) {
        throw new TransportUsageError(`cannot send a ${MessageType[m.type]} message: that type never leaves a member`);
      }
      if (m.from !== this.o.id) {
        throw new TransportUsageError(`cannot send a message from member ${m.from}; this transport is member ${this.o.id}`);
      }
    }
    if (this.closed) return;
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (!peer) {
        this.streamLog.warn(UNATTRIBUTED, 'dropping a message to a member with no known address', { to: m.to, type: MessageType[m.type] });
        this.unreachable.add(m.to);
      } else if (m.type === MessageType.Snap) {
        this.startSnapshot(peer, m);
      } else if (peer.sender.enqueue(m)) {
        this.dirty.add(peer.sender);
      } else {
        this.unreachable.add(m.to);
      }
    }
    this.scheduleFlush();
  }

  /**
   * Adds a peer, or moves an existing one to a new address (its stream is
   * re-established there; messages queued for the old address are dropped).
   * @throws TransportUsageError for a bad id or address
   */
  setPeer(peer: PeerAddress): void {
    const problem = peerProblem(peer, this.o.id);
    if (problem) throw new TransportUsageError(problem);
    if (this.closed) return;
    const existing = this.peers.get(peer.id);
    if (existing) {
      existing.sender.setAddress(peer.address);
      existing.stats.address = peer.address;
    } else {
      this.addPeer(peer);
    }
  }

  /**
   * Forgets a peer: its stream and any snapshot transfer to it stop, and
   * frames from it are refused from now on.
   */
  removePeer(id: number): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.sender.close();
    peer.snapshot?.abort();
    this.dirty.delete(peer.sender);
    this.streamLog.forget(id);
    this.rejectLog.forget(id);
  }

  /** The ids of the current peers. */
  peerIds(): number[] {
    return [...this.peers.keys()];
  }

  /** Counters per peer and for the whole transport. */
  stats(): TransportStats {
    const peers: PeerStats[] = [];
    for (const p of this.peers.values()) {
      peers.push({
        ...p.stats,
        connected: p.sender.isConnected,
        queueDepth: p.sender.queueDepth,
        queueBytes: p.sender.queuedBytes,
      });
    }
    return { peers, rejectedUnattributed: this.rejectedUnattributed };
  }

  /**
   * Stops everything: outgoing streams and transfers are cancelled, incoming
   * ones ended with UNAVAILABLE, the service is removed from servers the
   * caller owns, and the transport's own server (if any) shut down. No
   * handler is called afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    for (const peer of this.peers.values()) {
      peer.sender.close();
      peer.snapshot?.abort();
    }
    for (const end of [...this.incoming]) end();
    for (const server of this.hostServers) {
      if (server !== this.ownServer) server.removeService(peerServiceDefinition);
    }
    const own = this.ownServer;
    if (own) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          own.forceShutdown();
          resolve();
        }, 1000);
        own.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
  }

  private addPeer(p: PeerAddress): void {
    const stats = newStats(p.id, p.address);
    const sender = new PeerSender(
      p.id,
      p.address,
      {
        options: this.o,
        credentials: this.credentials,
        streamLog: this.streamLog,
        reportUnreachable: (id) => {
          this.unreachable.add(id);
          this.scheduleFlush();
        },
      },
      stats,
    );
    this.peers.set(p.id, { sender, stats, snapshot: undefined });
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    if (this.dirty.size === 0 && this.unreachable.size === 0) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      for (const s of this.dirty) s.flush();
      this.dirty.clear();
      if (this.unreachable.size === 0) return;
      const ids = [...this.unreachable];
      this.unreachable.clear();
      for (const id of ids) this.callHandler('onUnreachable', () => this.o.handler.onUnreachable(id));
    });
  }

  private callHandler(name: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (e) {
      this.o.logger.error(`transport handler ${name} threw`, { error: (e as Error).message });
    }
  }

  private startSnapshot(peer: Peer, m: Message): void {
    if (!m.snapshot) {
      this.o.logger.warn('dropping a Snap message without a snapshot', { to: m.to });
      this.unreachable.add(m.to);
      return;
    }
    if (peer.snapshot) {
      this.o.logger.debug('a snapshot is already being sent to this peer; ignoring another', {
        to: m.to,
        index: m.snapshot.metadata.index,
      });
      return;
    }
    const abort = new AbortController();
    peer.snapshot = abort;
    void this.runSnapshot(peer, m, abort.signal).finally(() => {
      if (peer.snapshot === abort) peer.snapshot = undefined;
    });
  }

  private async runSnapshot(peer: Peer, m: Message, signal: AbortSignal): Promise<void> {
    const o = this.o;
    const metadata = m.snapshot!.metadata;
    // A connection of its own, so snapshot chunks never queue ahead of heartbeats.
    const client = new grpc.Client(peer.sender.address, this.credentials, peerChannelOptions(o));
    const backoff = new Backoff(o.backoff, o.random);
    try {
      for (let attempt = 1; attempt <= o.snapshotAttempts; attempt++) {
        let reader: SnapshotReader | undefined;
        try {
          reader = o.snapshotSource ? await o.snapshotSource.open(metadata, peer.sender.id) : inMessageReader(m);
          const bytes = await sendSnapshot({
            client,
            clusterId: o.clusterId,
            message: m,
            reader,
            chunkBytes: o.snapshotChunkBytes,
            stallTimeoutMs: o.snapshotStallTimeoutMs,
            signal,
          });
          peer.stats.snapshotsSent++;
          o.logger.info('snapshot sent', { to: peer.sender.id, index: metadata.index, bytes, attempt });
          this.callHandler('onSnapshotStatus', () => o.handler.onSnapshotStatus(peer.sender.id, true));
          return;
        } catch (e) {
          if (signal.aborted) return;
          peer.stats.snapshotSendFailures++;
          o.logger.warn('snapshot transfer failed', {
            to: peer.sender.id,
            index: metadata.index,
            attempt,
            attempts: o.snapshotAttempts,
            error: (e as Error).message,
          });
          if (attempt < o.snapshotAttempts) await sleep(backoff.next(), signal);
        } finally {
          try {
            await reader?.close?.();
          } catch (e) {
            o.logger.warn('closing a snapshot reader failed', { to: peer.sender.id, error: (e as Error).message });
          }
        }
      }
      if (!signal.aborted) this.callHandler('onSnapshotStatus', () => o.handler.onSnapshotStatus(peer.sender.id, false));
    } finally {
      client.close();
    }
  }

  private receiverContext(): SnapshotReceiverContext {
    return {
      clusterId: this.o.clusterId,
      id: this.o.id,
      maxMessageBytes: this.o.maxMessageBytes,
      sink: this.o.snapshotSink,
      logger: this.o.logger,
      isMember: (id) => this.peers.has(id),
      refuse: (r: Refusal) => this.countRefusal(r),
      deliver: (from, messages) => {
        const peer = this.peers.get(from);
        if (peer) peer.stats.received += messages.length;
        this.callHandler('onMessages', () => this.o.handler.onMessages(messages));
      },
      countSnapshot: (from, ok) => {
        const peer = this.peers.get(from);
        if (!peer) return;
        if (ok) peer.stats.snapshotsReceived++;
        else peer.stats.snapshotReceiveFailures++;
      },
      track: (end) => {
        this.incoming.add(end);
        return () => this.incoming.delete(end);
      },
      watch: (metadata, sender) => {
        this.callSenders.set(metadata, sender);
      },
    };
  }

  private countRefusal(r: Refusal): void {
    const peer = r.from !== undefined ? this.peers.get(r.from) : undefined;
    if (peer) peer.stats.rejected++;
    else this.rejectedUnattributed++;
    this.rejectLog.warn(peer ? peer.sender.id : UNATTRIBUTED, 'refused input from a peer', {
      from: r.from,
      code: grpc.status[r.code],
      details: r.details,
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
