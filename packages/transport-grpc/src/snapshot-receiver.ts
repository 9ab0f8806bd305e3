import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Message } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { MalformedMessageError, fromWire, plainBytes } from './convert.js';
import { type Refusal, checkEnvelope, oversized } from './envelope.js';
import type { ReceiverContext } from './message-receiver.js';
import type { SnapshotSink, SnapshotWriter } from './types.js';

/** What the snapshot handler needs beyond the message handler's context. */
export interface SnapshotReceiverContext extends ReceiverContext {
  /** Where incoming snapshots are written; undefined refuses every transfer. */
  readonly sink: SnapshotSink | undefined;
  /** Counts a completed (`ok`) or failed transfer from `from`. */
  countSnapshot(from: number, ok: boolean): void;
  /** Where failures to abort a sink's writer are logged. */
  readonly logger: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** A transfer that must stop, with the status to answer. */
class TransferError extends Error {
  constructor(
    readonly refusal: Refusal,
    /** True when the sender's input was at fault (counted as a rejection), false for local failures. */
    readonly rejected: boolean,
  ) {
    super(refusal.details);
  }
}

/**
 * Serves one incoming `InstallSnapshot` transfer: checks the header like a
 * message frame, writes the chunks through the {@link SnapshotSink} one at a
 * time (the next frame is read only once the sink took the previous one, so
 * a slow sink slows the sender instead of filling memory), verifies size and
 * SHA-256, commits, and only then delivers the `Snap` message. Any failure
 * aborts the writer and answers a status that says what went wrong.
 */
export function handleInstallSnapshot(
  ctx: SnapshotReceiverContext,
  call: grpc.ServerReadableStream<Buffer, raftv1.InstallSnapshotResponse>,
  callback: grpc.sendUnaryData<raftv1.InstallSnapshotResponse>,
): void {
  const untrack = ctx.track(() => call.destroy(new Error(`member ${ctx.id} is shutting down`)));
  // A cancelled call never ends its readable side; destroying it ends the loop below.
  call.on('cancelled', () => call.destroy(new Error('the sender cancelled the transfer')));
  receive(ctx, call).then(
    (res) => {
      untrack();
      callback(null, res);
    },
    (e: unknown) => {
      untrack();
      const refusal =
        e instanceof TransferError
          ? e.refusal
          : { code: grpc.status.UNAVAILABLE, details: `snapshot transfer interrupted: ${(e as Error).message}` };
      callback({ code: refusal.code, details: refusal.details });
    },
  );
}

/** Throws the refusal of a transfer whose input is at fault. */
type Refuse = (code: grpc.status, details: string) => never;

function decodeRequest(bytes: Buffer, maxMessageBytes: number, from: number | undefined, refuse: Refuse): raftv1.InstallSnapshotRequest {
  if (bytes.length > maxMessageBytes) {
    const r = oversized(bytes.length, maxMessageBytes, from);
    refuse(r.code, r.details);
  }
  try {
    return raftv1.InstallSnapshotRequest.decode(plainBytes(bytes));
  } catch (e) {
    return refuse(grpc.status.INVALID_ARGUMENT, `undecodable snapshot frame: ${(e as Error).message}`);
  }
}

/** The checked `Snap` message of a transfer's header. */
function readHeader(ctx: SnapshotReceiverContext, h: raftv1.SnapshotHeader, refuse: Refuse): Message {
  const refusal = checkEnvelope(ctx, h.clusterId, h.from, h.to);
  if (refusal) throw new TransferError(refusal, true);
  if (h.message === undefined || h.message.type !== raftv1.MessageType.SNAP) {
    refuse(grpc.status.INVALID_ARGUMENT, 'snapshot header without a Snap message');
  }
  try {
    return fromWire(h.message, h.from, h.to, true);
  } catch (e) {
    if (!(e instanceof MalformedMessageError)) throw e;
    return refuse(grpc.status.INVALID_ARGUMENT, `malformed Snap message: ${e.message}`);
  }
}

/** Wraps a failure of the application's sink (not the sender's fault). */
function sinkFailure(what: string, e: unknown, from: number): TransferError {
  return new TransferError({ code: grpc.status.INTERNAL, details: `${what}: ${(e as Error).message}`, from }, false);
}

async function receive(
  ctx: SnapshotReceiverContext,
  call: grpc.ServerReadableStream<Buffer, raftv1.InstallSnapshotResponse>,
): Promise<raftv1.InstallSnapshotResponse> {
  let from: number | undefined;
  ctx.watch(call.metadata, () => from);
  let writer: SnapshotWriter | undefined;
  let message: Message | undefined;
  let total = 0;
  let received = 0;
  let done = false;
  const hash = createHash('sha256');
  const refuse: Refuse = (code, details) => {
    const r: Refusal = { code, details };
    if (from !== undefined) r.from = from;
    throw new TransferError(r, true);
  };
  try {
    for await (const bytes of call as AsyncIterable<Buffer>) {
      const frame = decodeRequest(bytes, ctx.maxMessageBytes, from, refuse).frame;
      if (done) refuse(grpc.status.INVALID_ARGUMENT, 'frame after the snapshot trailer');
      if (message === undefined || writer === undefined) {
        if (frame?.$case !== 'header') {
          refuse(grpc.status.INVALID_ARGUMENT, `snapshot transfer must start with a header, not ${frame?.$case ?? 'an empty frame'}`);
        }
        message = readHeader(ctx, frame.value, refuse);
        from = message.from;
        total = frame.value.totalSize;
        if (!ctx.sink) refuse(grpc.status.UNIMPLEMENTED, `member ${ctx.id} accepts no snapshots: no SnapshotSink is configured`);
        try {
          writer = await ctx.sink.begin(message.snapshot!.metadata, from);
        } catch (e) {
          throw sinkFailure('cannot store the snapshot', e, from);
        }
      } else if (frame?.$case === 'chunk') {
        const { offset, data } = frame.value;
        if (offset !== received) refuse(grpc.status.INVALID_ARGUMENT, `chunk at offset ${offset}; expected offset ${received}`);
        if (received + data.length > total) refuse(grpc.status.INVALID_ARGUMENT, `chunks exceed the declared size of ${total} bytes`);
        hash.update(data);
        received += data.length;
        try {
          await writer.write(data);
        } catch (e) {
          throw sinkFailure('cannot store the snapshot', e, message.from);
        }
      } else if (frame?.$case === 'trailer') {
        if (received !== total) refuse(grpc.status.INVALID_ARGUMENT, `snapshot ended after ${received} of ${total} declared bytes`);
        if (!hash.digest().equals(frame.value.sha256)) refuse(grpc.status.DATA_LOSS, `snapshot checksum mismatch after ${received} bytes`);
        done = true;
      } else {
        refuse(grpc.status.INVALID_ARGUMENT, `unexpected ${frame?.$case ?? 'empty'} frame in a snapshot transfer`);
      }
    }
    if (message === undefined || writer === undefined || !done) {
      return refuse(grpc.status.INVALID_ARGUMENT, `snapshot transfer ended without a trailer after ${received} of ${total} bytes`);
    }
    let data: void | Uint8Array;
    try {
      data = await writer.commit();
    } catch (e) {
      throw sinkFailure('cannot commit the snapshot', e, message.from);
    }
    message.snapshot!.data = data instanceof Uint8Array ? data : new Uint8Array(0);
    ctx.countSnapshot(message.from, true);
    ctx.deliver(message.from, [message]);
    return { receivedBytes: received };
  } catch (e) {
    if (writer !== undefined) {
      try {
        await writer.abort(e as Error);
      } catch (abortError) {
        ctx.logger.warn('aborting an incoming snapshot failed', { from, error: (abortError as Error).message });
      }
    }
    if (from !== undefined) ctx.countSnapshot(from, false);
    if (e instanceof TransferError && e.rejected) ctx.refuse(e.refusal);
    throw e;
  }
}
