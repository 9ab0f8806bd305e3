import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Message } from '@raftkit/core';
import type { raftv1 } from '@raftkit/proto';
import { toWire, withoutSnapshotData } from './convert.js';
import { encodeChunkFrame } from './chunk-frame.js';
import {
  INSTALL_SNAPSHOT_PATH,
  decodeInstallSnapshotResponse,
  encodeInstallSnapshotRequest,
  passThroughSerializer,
} from './service.js';
import type { SnapshotReader } from './types.js';

/**
 * Cuts a stream of byte pieces of any size into chunks of exactly `size`
 * bytes (the last may be shorter). Pieces at least `size` long are sliced
 * without copying; smaller ones are gathered into a fresh buffer.
 */
export async function* rechunk(pieces: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf: Uint8Array | undefined;
  let fill = 0;
  for await (const piece of pieces) {
    let rest = piece;
    while (rest.length > 0) {
      if (fill === 0 && rest.length >= size) {
        yield rest.subarray(0, size);
        rest = rest.subarray(size);
        continue;
      }
      buf ??= new Uint8Array(size);
      const n = Math.min(size - fill, rest.length);
      buf.set(rest.subarray(0, n), fill);
      fill += n;
      rest = rest.subarray(n);
      if (fill === size) {
        yield buf;
        buf = undefined;
        fill = 0;
      }
    }
  }
  if (buf !== undefined && fill > 0) yield buf.subarray(0, fill);
}

/** A reader over bytes already in memory (the `data` of a `Snap` message). */
export function inMessageReader(m: Message): SnapshotReader {
  const data = m.snapshot?.data ?? new Uint8Array(0);
  return {
    size: data.length,
    chunks: (async function* () {
      yield data;
    })(),
  };
}

/** Everything one transfer attempt needs. */
export interface SnapshotTransfer {
  /** The client `InstallSnapshot` is called on; the transport gives each transfer a connection of its own, so chunks never delay the message stream. */
  client: grpc.Client;
  /** The cluster id put in the header, checked by the receiver. */
  clusterId: number;
  /** The `Snap` message to deliver (its `data`, if any, is not sent in the header). */
  message: Message;
  /** The snapshot's bytes, opened for this attempt. */
  reader: SnapshotReader;
  /** Size of each chunk frame's data, in bytes (the last one may be smaller). */
  chunkBytes: number;
  /** The attempt fails when no chunk is accepted for this long. */
  stallTimeoutMs: number;
  /** Aborting cancels the transfer (the transport is closing or the peer was removed). */
  signal: AbortSignal;
}

/**
 * Streams one snapshot through `InstallSnapshot`: a header with the `Snap`
 * message and the total size, the bytes in chunks, then a trailer with
 * their SHA-256. Each chunk is written only after the previous one was
 * taken by the connection, so memory stays near one chunk however large
 * the snapshot. Resolves with the byte count the receiver confirmed.
 *
 * @throws the gRPC error of the call, or an Error saying why the source or
 *   the transfer failed
 */
export async function sendSnapshot(t: SnapshotTransfer): Promise<number> {
  const { message, reader } = t;
  // Set by the call's callback itself, so it is known synchronously whether
  // the call had already failed on its own before we cancel it.
  let callError: grpc.ServiceError | undefined;
  let call!: grpc.ClientWritableStream<Buffer>;
  const answered = new Promise<raftv1.InstallSnapshotResponse>((resolve, reject) => {
    call = t.client.makeClientStreamRequest(
      INSTALL_SNAPSHOT_PATH,
      passThroughSerializer,
      decodeInstallSnapshotResponse,
      (err: grpc.ServiceError | null, res?: raftv1.InstallSnapshotResponse) => {
        if (err) {
          callError = err;
          reject(err);
        } else {
          resolve(res!);
        }
      },
    );
  });
  // The call may end while a write waits; a write must then fail, not hang.
  const endedEarly = answered.then(() => {
    throw new Error('the receiver answered before the transfer was complete');
  });
  endedEarly.catch(() => {});

  let stalled = false;
  const stallTimer = setTimeout(() => {
    stalled = true;
    call.cancel();
  }, t.stallTimeoutMs);
  const onAbort = (): void => call.cancel();
  t.signal.addEventListener('abort', onAbort, { once: true });

  const write = async (frame: Buffer): Promise<void> => {
    await Promise.race([
      new Promise<void>((resolve, reject) => call.write(frame, (err?: Error | null) => (err ? reject(err) : resolve()))),
      endedEarly,
    ]);
    stallTimer.refresh();
  };

  try {
    if (t.signal.aborted) throw new Error('snapshot transfer aborted');
    await write(
      encodeInstallSnapshotRequest({
        frame: {
          $case: 'header',
          value: {
            clusterId: t.clusterId,
            from: message.from,
            to: message.to,
            message: toWire(withoutSnapshotData(message)),
            totalSize: reader.size,
          },
        },
      }),
    );
    const hash = createHash('sha256');
    let offset = 0;
    for await (const chunk of rechunk(reader.chunks, t.chunkBytes)) {
      if (offset + chunk.length > reader.size) {
        throw new Error(`snapshot source yielded more than the ${reader.size} bytes it declared`);
      }
      hash.update(chunk);
      await write(encodeChunkFrame(offset, chunk));
      offset += chunk.length;
    }
    if (offset !== reader.size) throw new Error(`snapshot source yielded ${offset} bytes; it declared ${reader.size}`);
    await write(encodeInstallSnapshotRequest({ frame: { $case: 'trailer', value: { sha256: hash.digest() } } }));
    call.end();
    const res = await answered;
    if (res.receivedBytes !== reader.size) {
      throw new Error(`receiver confirmed ${res.receivedBytes} bytes; ${reader.size} were sent`);
    }
    return res.receivedBytes;
  } catch (e) {
    if (stalled) throw new Error(`snapshot transfer stalled: no progress for ${t.stallTimeoutMs} ms`, { cause: e });
    // The receiver's status says more than the failed write it caused.
    const failure = callError ?? e;
    if (!callError) {
      call.cancel();
      answered.catch(() => {});
    }
    throw failure;
  } finally {
    clearTimeout(stallTimer);
    t.signal.removeEventListener('abort', onAbort);
  }
}
