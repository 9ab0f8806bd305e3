import * as grpc from '@grpc/grpc-js';
import type { Message } from '@raftkit/core';
import type { raftv1 } from '@raftkit/proto';
import { MalformedMessageError, checkMessage, plainBytes } from './convert.js';
import { type EnvelopeRules, type Refusal, checkEnvelope, oversized } from './envelope.js';
import { type DecodedFrame, decodeFrame } from './frame-codec.js';

/** What the receiving handlers need from the transport that owns them. */
export interface ReceiverContext extends EnvelopeRules {
  /** Largest frame accepted, in bytes (the `maxMessageBytes` option). */
  readonly maxMessageBytes: number;
  /** Counts and logs (rate-limited) a refused frame or transfer. */
  refuse(refusal: Refusal): void;
  /** Hands validated messages from `from` to the application. */
  deliver(from: number, messages: Message[]): void;
  /** Remembers an open incoming call so closing the transport can end it; returns the way to forget it. */
  track(end: () => void): () => void;
  /**
   * Tells who sent an incoming call so far, for refusals grpc-js makes
   * itself (a frame over its receive limit), which the handler never sees.
   */
  watch(metadata: grpc.Metadata, sender: () => number | undefined): void;
}

/**
 * Serves one incoming `SendMessages` stream: every frame is checked (size,
 * decoding, cluster, sender, receiver, each message's shape) before its
 * messages are delivered, in order. The first bad frame ends the stream
 * with a status that says what was wrong; the process never crashes on
 * input.
 */
export function handleSendMessages(ctx: ReceiverContext, call: grpc.ServerDuplexStream<Buffer, raftv1.SendMessagesResponse>): void {
  // Headers now tell the sender the stream is established (it resets its backoff).
  call.sendMetadata(new grpc.Metadata());
  let sender: number | undefined;
  ctx.watch(call.metadata, () => sender);
  let finished = false;
  const finish = (): void => {
    finished = true;
    untrack();
  };
  const untrack = ctx.track(() => {
    if (finished) return;
    finish();
    call.emit('error', { code: grpc.status.UNAVAILABLE, details: `member ${ctx.id} is shutting down` });
  });

  call.on('data', (bytes: Buffer) => {
    if (finished) return;
    const outcome = readFrame(ctx, bytes, sender);
    if ('code' in outcome) {
      finish();
      ctx.refuse(outcome);
      call.emit('error', { code: outcome.code, details: outcome.details });
      return;
    }
    sender = outcome.from;
    if (outcome.messages.length > 0) ctx.deliver(outcome.from, outcome.messages);
  });
  call.on('end', () => {
    if (finished) return;
    finish();
    call.end();
  });
  // A cancelled or broken stream: nothing to answer.
  call.on('error', () => {
    if (!finished) finish();
  });
  call.on('cancelled', () => {
    if (!finished) finish();
  });
}

/** A decoded, validated frame, or why it was refused. */
function readFrame(
  ctx: ReceiverContext,
  bytes: Buffer,
  sender: number | undefined,
): Refusal | { from: number; messages: Message[] } {
  if (bytes.length > ctx.maxMessageBytes) return oversized(bytes.length, ctx.maxMessageBytes, sender);
  let frame: DecodedFrame;
  try {
    frame = decodeFrame(plainBytes(bytes));
  } catch (e) {
    return withSender({ code: grpc.status.INVALID_ARGUMENT, details: `undecodable frame: ${(e as Error).message}` }, sender);
  }
  const refusal = checkEnvelope(ctx, frame.clusterId, frame.from, frame.to);
  if (refusal) return sender !== undefined && refusal.from === undefined ? withSender(refusal, sender) : refusal;
  if (sender !== undefined && frame.from !== sender) {
    return {
      code: grpc.status.INVALID_ARGUMENT,
      details: `frame from member ${frame.from} on the stream of member ${sender}`,
      from: sender,
    };
  }
  const messages = frame.messages;
  try {
    for (let i = 0; i < messages.length; i++) checkMessage(messages[i]!, frame.from, frame.to, false);
  } catch (e) {
    if (!(e instanceof MalformedMessageError)) throw e;
    return { code: grpc.status.INVALID_ARGUMENT, details: `malformed message: ${e.message}`, from: frame.from };
  }
  return { from: frame.from, messages };
}

function withSender(r: Refusal, sender: number | undefined): Refusal {
  return sender === undefined ? r : { ...r, from: sender };
}
