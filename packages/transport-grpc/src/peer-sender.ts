import * as grpc from '@grpc/grpc-js';
import type { Message } from '@raftkit/core';
import type { raftv1 } from '@raftkit/proto';
import { Backoff } from './backoff.js';
import { messageSizeBound } from './convert.js';
import { encodeFrame } from './frame-codec.js';
import type { ResolvedOptions } from './options.js';
import type { RateLimitedLog } from './rate-limited-log.js';
import { SEND_MESSAGES_PATH, decodeSendMessagesResponse, passThroughSerializer } from './service.js';
import type { PeerStats } from './types.js';

/** Room for cluster_id, from and to at the head of a frame. */
const FRAME_HEADER_BOUND = 40;

/**
 * Status codes with which a receiver refuses our input. Reconnecting at once
 * would only be refused again, so they do not reset the backoff.
 */
const REFUSALS = new Set<grpc.status>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.PERMISSION_DENIED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.UNAUTHENTICATED,
]);

/** What a {@link PeerSender} needs from the transport that owns it. */
export interface PeerSenderContext {
  /** The transport's options (limits, timeouts, backoff, cluster and member ids). */
  readonly options: ResolvedOptions;
  /** Credentials of the connection to the peer: TLS or insecure. */
  readonly credentials: grpc.ChannelCredentials;
  /** Where broken streams are logged, at most once per peer per interval. */
  readonly streamLog: RateLimitedLog;
  /** Tells the application (later, never synchronously) that the peer is unreachable. */
  reportUnreachable(peerId: number): void;
}

/** Channel options for connections to peers. */
export function peerChannelOptions(o: ResolvedOptions): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    // grpc-js would otherwise acknowledge writes before they reach the
    // connection (its retry buffer), which defeats our flow control.
    'grpc.enable_retries': 0,
    'grpc.per_rpc_retry_buffer_size': 0,
    'grpc.max_send_message_length': o.maxMessageBytes,
    'grpc.max_receive_message_length': o.maxMessageBytes,
    'grpc.keepalive_time_ms': o.keepaliveMs,
    'grpc.keepalive_timeout_ms': o.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    // The channel's own reconnect backoff must not be slower than ours, or a
    // new stream would fail fast while the channel still waits.
    'grpc.initial_reconnect_backoff_ms': o.backoff.initialMs,
    'grpc.max_reconnect_backoff_ms': o.backoff.maxMs,
    // One connection per peer, shared with nothing else in the process.
    'grpc.use_local_subchannel_pool': 1,
  };
  if (o.tls?.serverNameOverride) options['grpc.ssl_target_name_override'] = o.tls.serverNameOverride;
  return options;
}

/**
 * The outgoing half of one ordered pair of members: a bounded queue and one
 * long-lived `SendMessages` stream to the peer.
 *
 * At most one frame is being written at a time; messages that arrive while
 * it is in flight wait in the queue and leave together as the next frame.
 * So frames grow under load and shrink when idle, and a peer that stops
 * reading stops the writes, fills the queue and makes further messages drop
 * (counted), instead of buffering without limit. When the stream breaks,
 * whatever is queued is dropped (Raft retransmits what matters), the peer is
 * reported unreachable, and a new stream is opened after a capped,
 * jittered, exponential backoff.
 */
export class PeerSender {
  private client: grpc.Client;
  private call: grpc.ClientDuplexStream<Buffer, raftv1.SendMessagesResponse> | undefined;
  // The queue is an array with a moving head, so taking a frame off the front is O(frame).
  private queue: Message[] = [];
  private sizes: number[] = [];
  private head = 0;
  private queueBytes = 0;
  private writing = false;
  private connected = false;
  private everConnected = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;

  /** Starts sending to member `id` at `addressValue`: the connection and its stream open at once. */
  constructor(
    readonly id: number,
    private addressValue: string,
    private readonly ctx: PeerSenderContext,
    /** Counters shared with the transport, updated in place. */
    readonly stats: PeerStats,
  ) {
    this.backoff = new Backoff(ctx.options.backoff, ctx.options.random);
    this.client = this.newClient();
    this.openStream();
  }

  /** The peer's current address. */
  get address(): string {
    return this.addressValue;
  }

  /** Messages waiting to be written. */
  get queueDepth(): number {
    return this.queue.length - this.head;
  }

  /** Estimated bytes waiting to be written. */
  get queuedBytes(): number {
    return this.queueBytes;
  }

  /** True once the peer accepted the current stream. */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Queues `m` for the next frame. Returns false (and counts a drop) when it
   * cannot be sent: no stream right now, the queue is full, or the message
   * alone exceeds the frame limit.
   */
  enqueue(m: Message): boolean {
    if (this.closed || this.call === undefined) {
      this.stats.dropped++;
      return false;
    }
    const size = messageSizeBound(m);
    const o = this.ctx.options;
    if (size + FRAME_HEADER_BOUND > o.maxMessageBytes) {
      this.stats.dropped++;
      this.ctx.streamLog.warn(this.id, 'dropping a message larger than the frame limit', {
        peer: this.id,
        bytes: size,
        maxMessageBytes: o.maxMessageBytes,
      });
      return false;
    }
    if (this.queueDepth >= o.maxQueueMessages || this.queueBytes + size > o.maxQueueBytes) {
      this.stats.dropped++;
      return false;
    }
    this.queue.push(m);
    this.sizes.push(size);
    this.queueBytes += size;
    return true;
  }

  /** Writes the queued messages as one frame unless a frame is already being written. */
  flush(): void {
    const call = this.call;
    if (call === undefined || this.writing || this.queueDepth === 0) return;
    const limit = this.ctx.options.maxMessageBytes - FRAME_HEADER_BOUND;
    const start = this.head;
    let end = start;
    let bytes = 0;
    // The first message always fits: enqueue refused any that would not.
    while (end < this.queue.length && (end === start || bytes + this.sizes[end]! <= limit)) {
      bytes += this.sizes[end]!;
      end++;
    }
    const batch = start === 0 && end === this.queue.length ? this.queue : this.queue.slice(start, end);
    this.head = end;
    this.queueBytes -= bytes;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    const o = this.ctx.options;
    const frame = encodeFrame(o.clusterId, o.id, this.id, batch);
    this.writing = true;
    this.stats.sent += batch.length;
    this.stats.sentFrames++;
    this.stats.sentBytes += frame.length;
    call.write(frame, () => {
      if (this.call !== call) return;
      this.writing = false;
      this.flush();
    });
  }

  /** Points the sender at a new address: the stream is re-established there at once. */
  setAddress(address: string): void {
    if (address === this.addressValue || this.closed) return;
    this.addressValue = address;
    this.teardownStream();
    this.client.close();
    this.client = this.newClient();
    this.backoff.reset();
    this.openStream();
  }

  /** Stops everything; queued messages are discarded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.teardownStream();
    this.client.close();
  }

  private newClient(): grpc.Client {
    return new grpc.Client(this.addressValue, this.ctx.credentials, peerChannelOptions(this.ctx.options));
  }

  private teardownStream(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    this.reconnectTimer = undefined;
    const call = this.call;
    this.call = undefined;
    this.connected = false;
    this.writing = false;
    this.dropQueue();
    call?.cancel();
  }

  private dropQueue(): number {
    const n = this.queueDepth;
    this.stats.dropped += n;
    this.queue = [];
    this.sizes = [];
    this.head = 0;
    this.queueBytes = 0;
    return n;
  }

  private openStream(): void {
    const call = this.client.makeBidiStreamRequest(SEND_MESSAGES_PATH, passThroughSerializer, decodeSendMessagesResponse);
    this.call = call;
    this.connectTimer = setTimeout(() => {
      if (this.call === call && !this.connected) call.cancel();
    }, this.ctx.options.connectTimeoutMs);
    // The receiver sends headers as soon as it takes the stream: that is our signal it is up.
    call.on('metadata', () => {
      if (this.call !== call) return;
      clearTimeout(this.connectTimer);
      this.connected = true;
      if (this.everConnected) this.stats.reconnects++;
      this.everConnected = true;
    });
    // Receivers send nothing today; reading keeps the stream flowing if that changes.
    call.on('data', () => {});
    // The 'status' event carries the outcome; without a listener 'error' would be thrown.
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => this.onStreamEnd(call, status));
    this.flush();
  }

  private onStreamEnd(call: grpc.ClientDuplexStream<Buffer, raftv1.SendMessagesResponse>, status: grpc.StatusObject): void {
    if (this.call !== call || this.closed) return;
    clearTimeout(this.connectTimer);
    const wasConnected = this.connected;
    this.call = undefined;
    this.connected = false;
    this.writing = false;
    const lost = this.dropQueue();
    const refused = REFUSALS.has(status.code);
    if (wasConnected && !refused) this.backoff.reset();
    const retryInMs = Math.round(this.backoff.next());
    this.ctx.streamLog.warn(this.id, refused ? 'peer refused our message stream' : 'message stream to peer ended', {
      peer: this.id,
      address: this.addressValue,
      code: grpc.status[status.code],
      details: status.details,
      lostMessages: lost,
      retryInMs,
    });
    this.ctx.reportUnreachable(this.id);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.openStream();
    }, retryInMs);
  }
}
