import type { Entry, Message } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { checkMessage, decodeFrame, encodeFrame, fromWire, toWire } from '@raftkit/transport-grpc';
import { appendMessage } from './workload.js';

/** A converter that copies field by field: what toWire's zero-copy view avoids. */
function copyingToWire(m: Message): raftv1.Message {
  const entries: raftv1.Entry[] = new Array(m.entries.length);
  for (let i = 0; i < m.entries.length; i++) {
    const e: Entry = m.entries[i]!;
    entries[i] = { term: e.term, index: e.index, type: e.type as number, data: e.data };
  }
  return {
    type: m.type as number,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries,
    commit: m.commit,
    snapshot: undefined,
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: m.context,
  };
}

/** Mean nanoseconds per call of `fn`, after a warm-up. */
function nsPerCall(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 5000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

/**
 * Prints what encoding and decoding one frame of `perFrame` App messages
 * costs, per entry: the transport's frame codec against the generated
 * ts-proto code (with the zero-copy and a copying converter).
 */
export function measureCodec(entryBytes: number): void {
  console.log('\nframe encoding and decoding, ns per entry (frames of 16 messages)');
  console.log('  entries/msg   encodeFrame   generated+toWire   generated+copy   decodeFrame+check   generated+fromWire');
  const perFrame = 16;
  for (const n of [1, 64]) {
    const ms = Array.from({ length: perFrame }, (_, i) => appendMessage(1, 2, 1000 + i * n, n, entryBytes));
    const bytes = encodeFrame(1, 1, 2, ms);
    const iterations = Math.max(200, Math.floor(400_000 / (n * perFrame)));
    const entries = n * perFrame;
    const row = [
      nsPerCall(iterations, () => encodeFrame(1, 1, 2, ms)),
      nsPerCall(iterations, () => raftv1.SendMessagesRequest.encode({ clusterId: 1, from: 1, to: 2, messages: ms.map(toWire) }).finish()),
      nsPerCall(iterations, () => raftv1.SendMessagesRequest.encode({ clusterId: 1, from: 1, to: 2, messages: ms.map(copyingToWire) }).finish()),
      nsPerCall(iterations, () => {
        const f = decodeFrame(bytes);
        for (const m of f.messages) checkMessage(m, 1, 2, false);
      }),
      nsPerCall(iterations, () => {
        const f = raftv1.SendMessagesRequest.decode(bytes);
        for (const m of f.messages) fromWire(m, 1, 2, false);
      }),
    ].map((ns) => (ns / entries).toFixed(0));
    console.log(
      `  ${String(n).padStart(11)}  ${row[0]!.padStart(12)}  ${row[1]!.padStart(17)}  ${row[2]!.padStart(15)}  ${row[3]!.padStart(18)}  ${row[4]!.padStart(19)}`,
    );
  }
}
