import type { Message, SnapshotMetadata } from '@raftkit/core';

/** Where another member's peer service listens. */
export interface PeerAddress {
  /** The member's Raft id (a positive integer). */
  id: number;
  /** `host:port` of its peer service. */
  address: string;
}

/**
 * What the transport reports to the application. Every callback runs on a
 * later turn of the event loop than the `send()` that caused it, never
 * inside it, so the application may call into the Raft core from them.
 */
export interface TransportHandler {
  /**
   * Validated messages from one peer, in the order that peer sent them. A
   * `Snap` message arrives only after its bytes were committed through the
   * {@link SnapshotSink}, with `snapshot.data` empty unless the sink's
   * `commit()` returned bytes.
   */
  onMessages(messages: Message[]): void;
  /**
   * A peer could not be reached, or messages to it were dropped (its queue
   * was full or its stream broke). Feed it to `RawNode.reportUnreachable`.
   */
  onUnreachable(peerId: number): void;
  /**
   * How sending a snapshot to `peerId` ended, after every retry. Feed it to
   * `RawNode.reportSnapshot`.
   */
  onSnapshotStatus(peerId: number, ok: boolean): void;
}

/** The bytes of one snapshot, opened for sending. */
export interface SnapshotReader {
  /** The exact number of bytes `chunks` yields. */
  size: number;
  /** The bytes, in order, in pieces of any size; the transport re-chunks them. */
  chunks: AsyncIterable<Uint8Array>;
  /** Releases what `open` acquired (file handles...); called once, after success or failure. */
  close?(): void | Promise<void>;
}

/**
 * Where a sending member gets snapshot bytes. Without one, the transport
 * sends the bytes carried in the `Snap` message itself (`snapshot.data`).
 */
export interface SnapshotSource {
  /**
   * Opens the snapshot described by `metadata` to send it to member `to`.
   * Called once per attempt: a retried transfer opens it again.
   */
  open(metadata: SnapshotMetadata, to: number): SnapshotReader | Promise<SnapshotReader>;
}

/** One incoming snapshot being written. */
export interface SnapshotWriter {
  /**
   * Stores the next chunk. The transport waits for the returned promise
   * before reading more from the network, so a slow disk slows the sender
   * instead of filling memory. `chunk` may be a view into a receive buffer:
   * copy it if it must outlive the call.
   */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * Makes the snapshot durable; called once every byte arrived and the
   * size and checksum matched. Returning bytes puts them into the delivered
   * message's `snapshot.data` (for applications that keep snapshots in
   * memory); otherwise it is delivered empty.
   */
  commit(): void | Uint8Array | Promise<void | Uint8Array>;
  /** Discards what was written; called instead of `commit()` when the transfer failed. */
  abort(reason: Error): void | Promise<void>;
}

/** Where a receiving member stores incoming snapshots. */
export interface SnapshotSink {
  /** Starts receiving the snapshot described by `metadata` from member `from`. */
  begin(metadata: SnapshotMetadata, from: number): SnapshotWriter | Promise<SnapshotWriter>;
}

/** TLS material, read from PEM files when the transport starts. */
export interface TlsOptions {
  /** CA certificate(s) that sign every member's certificate. */
  caFile: string;
  /** This member's certificate (chain), presented as server and as client. */
  certFile: string;
  /** The private key of `certFile`. */
  keyFile: string;
  /**
   * Require and verify a client certificate on incoming connections (mutual
   * TLS). Default true: only holders of a certificate signed by the CA may
   * speak to the peer service.
   */
  requireClientCert?: boolean;
  /** Verify peers' certificates against this name instead of the host in their address. */
  serverNameOverride?: string;
}

/**
 * Counters of one peer, for monitoring (the server exports them as metrics).
 * The counts start at zero when the peer is added, and again when a removed
 * peer is added back; `connected`, `queueDepth` and `queueBytes` are the
 * values at the moment `stats()` was called.
 */
export interface PeerStats {
  /** The peer's Raft id. */
  id: number;
  /** `host:port` of the peer's peer service; changes when `setPeer` moves the peer. */
  address: string;
  /** The outgoing stream is established. */
  connected: boolean;
  /** Messages waiting to be written to the stream. */
  queueDepth: number;
  /** Estimated encoded bytes of the waiting messages. */
  queueBytes: number;
  /** Messages handed to the stream. */
  sent: number;
  /** Frames (batches) handed to the stream. */
  sentFrames: number;
  /** Encoded bytes handed to the stream. */
  sentBytes: number;
  /** Messages dropped: queue full, stream broken or not connected, or too large. */
  dropped: number;
  /** Messages received from this peer and delivered. */
  received: number;
  /** Incoming frames or snapshot transfers from this peer refused by validation. */
  rejected: number;
  /** Times the outgoing stream was established again after it had broken. */
  reconnects: number;
  /** Snapshots sent to this peer and confirmed by it (whole transfers, not attempts). */
  snapshotsSent: number;
  /** Snapshot send attempts that failed (each is retried until attempts run out). */
  snapshotSendFailures: number;
  /** Snapshots received from this peer, verified, committed through the sink and delivered. */
  snapshotsReceived: number;
  /**
   * Incoming snapshot transfers from this peer that failed after their
   * header named the sender: a bad frame, a size or checksum mismatch, no
   * sink or a sink that failed, or a stream cut short.
   */
  snapshotReceiveFailures: number;
}

/** Counters of the whole transport. */
export interface TransportStats {
  /** One entry per current peer, a snapshot of its counters taken by `stats()`. */
  peers: PeerStats[];
  /** Frames refused before a known sender could be told (garbage, unknown members, wrong cluster). */
  rejectedUnattributed: number;
}
