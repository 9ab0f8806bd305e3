import * as grpc from '@grpc/grpc-js';
import { type Message, message as coreMessage, MessageType } from '@raftkit/core';
import { asBuffer, raftv1 } from '@raftkit/proto';
import { toWire } from '../../src/index.js';

const passThrough = (b: Buffer): Buffer => b;

/** A frame of the message stream, encoded, with any fields overridden. */
export function frameBytes(fields: Omit<Partial<raftv1.SendMessagesRequest>, 'messages'> & { messages?: Message[] }): Buffer {
  const { messages = [], ...rest } = fields;
  return asBuffer(
    raftv1.SendMessagesRequest.encode({ clusterId: 7, from: 2, to: 1, ...rest, messages: messages.map(toWire) }).finish(),
  );
}

/** A heartbeat from 2 to 1, as a valid frame would carry it. */
export function hb(overrides: Partial<Message> = {}): Message {
  return coreMessage({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1, ...overrides });
}

/**
 * Opens a message stream with a plain grpc-js client that sends bytes as
 * given, writes `frames`, half-closes, and resolves with the status the
 * server ended the stream with.
 */
export async function sendRawFrames(address: string, frames: Buffer[]): Promise<grpc.StatusObject> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest(raftv1.RaftPeerService.sendMessages.path, passThrough, passThrough);
    call.on('data', () => {});
    call.on('error', () => {});
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    for (const f of frames) call.write(f);
    call.end();
    return await status;
  } finally {
    client.close();
  }
}

/** An encoded InstallSnapshot frame. */
export function snapshotFrame(frame: raftv1.InstallSnapshotRequest['frame']): Buffer {
  return asBuffer(raftv1.InstallSnapshotRequest.encode({ frame }).finish());
}

/** The header of a valid transfer of `totalSize` bytes from 2 to 1. */
export function snapshotHeader(totalSize: number, overrides: Partial<raftv1.SnapshotHeader> = {}): Buffer {
  const snap = coreMessage({
    type: MessageType.Snap,
    from: 2,
    to: 1,
    term: 2,
    snapshot: {
      metadata: { index: 10, term: 2, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
      data: new Uint8Array(0),
    },
  });
  return snapshotFrame({ $case: 'header', value: { clusterId: 7, from: 2, to: 1, message: toWire(snap), totalSize, ...overrides } });
}

/** Sends raw InstallSnapshot frames and resolves with the gRPC outcome. */
export async function sendRawSnapshot(
  address: string,
  frames: Buffer[],
): Promise<{ code: grpc.status; details: string; receivedBytes?: number }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve) => {
      const call = client.makeClientStreamRequest(
        raftv1.RaftPeerService.installSnapshot.path,
        passThrough,
        (b: Buffer) => raftv1.InstallSnapshotResponse.decode(b),
        (err: grpc.ServiceError | null, res?: raftv1.InstallSnapshotResponse) =>
          resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', receivedBytes: res!.receivedBytes }),
      );
      for (const f of frames) call.write(f);
      call.end();
    });
  } finally {
    client.close();
  }
}
