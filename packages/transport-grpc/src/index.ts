/**
 * @raftkit/transport-grpc — Raft peer traffic between raftkit members over
 * gRPC: one ordered stream per pair of members with per-turn batching,
 * bounded queues, reconnects with backoff, chunked snapshot transfers with
 * checksums, validation of everything received, and TLS or mutual TLS.
 * Start with {@link GrpcTransport}.
 *
 * @packageDocumentation
 */
export { GrpcTransport } from './transport.js';
export { type GrpcTransportOptions, resolveOptions } from './options.js';
export type {
  PeerAddress,
  PeerStats,
  SnapshotReader,
  SnapshotSink,
  SnapshotSource,
  SnapshotWriter,
  TlsOptions,
  TransportHandler,
  TransportStats,
} from './types.js';
export { TransportUsageError } from './errors.js';
export { toWire, fromWire, checkMessage, MalformedMessageError } from './convert.js';
export { encodeFrame, decodeFrame, type DecodedFrame, FrameDecodeError } from './frame-codec.js';
export { peerServerOptions, peerServiceDefinition } from './service.js';
export { serverCredentials, channelCredentials } from './tls.js';
export { Backoff, type BackoffOptions } from './backoff.js';
