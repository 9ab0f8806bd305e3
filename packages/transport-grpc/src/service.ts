import type * as grpc from '@grpc/grpc-js';
import { deserializerFor, raftv1, serializerFor } from '@raftkit/proto';

const passThrough = (bytes: Buffer): Buffer => bytes;

/**
 * The RaftPeer service as this transport serves it. Requests stay raw bytes
 * through grpc-js so the handlers decode them themselves: that way a frame
 * that does not decode is answered with a precise status, counted against
 * the stream's sender and logged, instead of becoming grpc-js's generic
 * INTERNAL "Error deserializing request".
 */
export const peerServiceDefinition = {
  sendMessages: {
    path: raftv1.RaftPeerService.sendMessages.path,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: serializerFor(raftv1.SendMessagesResponse),
    responseDeserialize: deserializerFor(raftv1.SendMessagesResponse),
  },
  installSnapshot: {
    path: raftv1.RaftPeerService.installSnapshot.path,
    requestStream: true,
    responseStream: false,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: serializerFor(raftv1.InstallSnapshotResponse),
    responseDeserialize: deserializerFor(raftv1.InstallSnapshotResponse),
  },
} satisfies grpc.ServiceDefinition;

/** Path of the message stream. */
export const SEND_MESSAGES_PATH = raftv1.RaftPeerService.sendMessages.path;
/** Path of the snapshot transfer. */
export const INSTALL_SNAPSHOT_PATH = raftv1.RaftPeerService.installSnapshot.path;

/** Encodes a frame of the message stream (senders encode frames themselves to know their size). */
export const passThroughSerializer = passThrough;
/** Decodes what a receiver of the message stream answers (nothing today). */
export const decodeSendMessagesResponse = deserializerFor(raftv1.SendMessagesResponse);
/** Encodes a frame of a snapshot transfer. */
export const encodeInstallSnapshotRequest = serializerFor(raftv1.InstallSnapshotRequest);
/** Decodes the answer to a snapshot transfer. */
export const decodeInstallSnapshotResponse = deserializerFor(raftv1.InstallSnapshotResponse);

/**
 * Channel options for a grpc-js server that hosts the peer service, for
 * applications that bind it on a server of their own (`grpc.Server`
 * options are fixed at construction). They cap incoming frames at
 * `maxMessageBytes` before grpc-js buffers them.
 */
export function peerServerOptions(o: { maxMessageBytes: number }): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': o.maxMessageBytes,
    'grpc.max_send_message_length': o.maxMessageBytes,
  };
}
