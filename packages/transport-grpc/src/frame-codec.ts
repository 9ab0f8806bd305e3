import { EMPTY_BYTES, type Entry, type Message } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { toWire } from './convert.js';

/*
 * The message stream's frame (raftkit.raft.v1.SendMessagesRequest), encoded
 * and decoded by hand. It is the one hot path of the transport: every Raft
 * message and entry crosses it. The generated code handles 64-bit fields
 * through BigInt and strings (a BigInt, a DataView round trip and an object
 * per field on encode; BigInt, toString and Number per field on decode),
 * which made it cost about 0.9 µs per 128-byte entry to encode and 0.6 µs to
 * decode. Here varints are plain number arithmetic (ids, terms and indexes
 * stay below 2^53) and the frame is written into one exactly sized buffer.
 *
 * The output is byte-for-byte what the generated encoder produces (same
 * field order, defaults omitted), and the decoder reads any proto3 encoding
 * of the frame (unknown fields, repeated scalars, any field order), refusing
 * only what proto3 never produces (groups, field number 0);
 * frame-codec.test.ts checks both against @raftkit/proto on random frames.
 * The rare part (a snapshot inside a message, which never travels on the
 * stream) goes through the generated code.
 */

const TWO_32 = 4294967296;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  v = Math.floor(v / 0x800000000);
  while (v > 0) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Size of a uint64 field that proto3 omits when zero: tag + varint. */
function fieldSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

function bytesFieldSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length;
}

function entrySize(e: Entry): number {
  return fieldSize(e.term) + fieldSize(e.index) + fieldSize(e.type) + bytesFieldSize(e.data);
}

/** Encoded size of one message; its entries' sizes are appended to `entrySizes`. */
function messageSize(m: Message, entrySizes: number[], snapshots: Map<Message, Uint8Array> | undefined): number {
  let n = fieldSize(m.type) + fieldSize(m.to) + fieldSize(m.from) + fieldSize(m.term) + fieldSize(m.logTerm) + fieldSize(m.index);
  const entries = m.entries;
  for (let i = 0; i < entries.length; i++) {
    const s = entrySize(entries[i]!);
    entrySizes.push(s);
    n += 1 + varintSize(s) + s;
  }
  n += fieldSize(m.commit);
  if (m.snapshot !== undefined) {
    const snap = raftv1.Snapshot.encode(toWire(m).snapshot!).finish();
    snapshots!.set(m, snap);
    n += 1 + varintSize(snap.length) + snap.length;
  }
  if (m.reject) n += 2;
  n += fieldSize(m.rejectHint) + bytesFieldSize(m.context);
  return n;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (v >= TWO_32) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    // Below 2^32: unsigned 32-bit shifts are exact.
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  field(tag: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(v);
  }

  bytes(tag: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Encodes a frame of the message stream from `from` to `to` carrying `messages`. */
export function encodeFrame(clusterId: number, from: number, to: number, messages: readonly Message[]): Buffer {
  const entrySizes: number[] = [];
  const messageSizes: number[] = new Array(messages.length);
  // Messages carrying a snapshot are rare here; only they pay for the map.
  let snapshots: Map<Message, Uint8Array> | undefined;
  for (const m of messages) if (m.snapshot !== undefined) (snapshots ??= new Map()).set(m, EMPTY_BYTES);
  let total = fieldSize(clusterId) + fieldSize(from) + fieldSize(to);
  for (let i = 0; i < messages.length; i++) {
    const s = messageSize(messages[i]!, entrySizes, snapshots);
    messageSizes[i] = s;
    total += 1 + varintSize(s) + s;
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  w.field(0x08, clusterId);
  w.field(0x10, from);
  w.field(0x18, to);
  let entryIndex = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    w.buf[w.pos++] = 0x22;
    w.varint(messageSizes[i]!);
    w.field(0x08, m.type);
    w.field(0x10, m.to);
    w.field(0x18, m.from);
    w.field(0x20, m.term);
    w.field(0x28, m.logTerm);
    w.field(0x30, m.index);
    const entries = m.entries;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!;
      w.buf[w.pos++] = 0x3a;
      w.varint(entrySizes[entryIndex++]!);
      w.field(0x08, e.term);
      w.field(0x10, e.index);
      w.field(0x18, e.type);
      w.bytes(0x22, e.data);
    }
    w.field(0x40, m.commit);
    const snap = snapshots?.get(m);
    if (snap !== undefined) {
      w.buf[w.pos++] = 0x4a;
      w.varint(snap.length);
      w.buf.set(snap, w.pos);
      w.pos += snap.length;
    }
    if (m.reject) {
      w.buf[w.pos++] = 0x50;
      w.buf[w.pos++] = 1;
    }
    w.field(0x58, m.rejectHint);
    w.bytes(0x62, m.context);
  }
  if (w.pos !== total) throw new Error(`frame encoder wrote ${w.pos} bytes, sized ${total}`);
  return w.buf;
}

/** A decoded frame: its addressing and its messages, as the core's types. */
export interface DecodedFrame {
  /** The cluster id the sender put in the frame (0 when the field is absent). */
  clusterId: number;
  /** The sending member's Raft id (0 when absent). */
  from: number;
  /** The member the frame is addressed to (0 when absent). */
  to: number;
  /**
   * The messages, in the order they were encoded. They are decoded but not
   * yet checked for Raft-level sense, and their `bytes` fields are views
   * into the frame's buffer.
   */
  messages: Message[];
}

/** Bytes that are not a frame: truncated, a bad wire type, a number past 2^53. */
export class FrameDecodeError extends Error {
  /** `message` says what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    public end: number,
  ) {}

  /** A varint as a number, exact up to 2^53; larger values (negative int32 enums...) come out inexact but larger. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new FrameDecodeError(`truncated varint at byte ${pos}`);
      const b = buf[pos++]!;
      // Bitwise while the result stays below 2^28 (never touching the sign bit), arithmetic beyond.
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 63) throw new FrameDecodeError(`varint longer than 10 bytes at byte ${pos}`);
    }
    this.pos = pos;
    return result;
  }

  /** An int32 field (an enum): the low 32 bits of the varint, signed, as protobuf defines. */
  int32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    for (let i = 0; ; i++) {
      if (pos >= this.end) throw new FrameDecodeError(`truncated varint at byte ${pos}`);
      const b = buf[pos++]!;
      if (i < 5) lo |= (b & 0x7f) << (7 * i);
      if (b < 0x80) break;
      if (i === 9) throw new FrameDecodeError(`varint longer than 10 bytes at byte ${pos}`);
    }
    this.pos = pos;
    return lo | 0;
  }

  /** A field's tag (field number and wire type); protobuf tags fit 32 bits. */
  tag(): number {
    const t = this.varint();
    if (t > 0xffffffff) throw new FrameDecodeError(`tag wider than 32 bits at byte ${this.pos}`);
    return t;
  }

  /** A uint64 field, which must fit a JavaScript number exactly. */
  uint64(): number {
    const v = this.varint();
    if (v > Number.MAX_SAFE_INTEGER) throw new FrameDecodeError('Value is larger than Number.MAX_SAFE_INTEGER');
    return v;
  }

  /** The length of a length-delimited field, checked against what is left. */
  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw new FrameDecodeError(`length ${n} at byte ${this.pos} runs past the end (${this.end})`);
    return n;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(tag: number): void {
    if (tag < 8) throw new FrameDecodeError(`invalid field number 0 at byte ${this.pos}`);
    const wireType = tag & 7;
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.advance(this.length());
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new FrameDecodeError(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new FrameDecodeError(`field of ${n} bytes at byte ${this.pos} runs past the end`);
    this.pos += n;
  }
}

function decodeEntry(r: Reader, end: number): Entry {
  const e: Entry = { term: 0, index: 0, type: 0, data: EMPTY_BYTES };
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        e.term = r.uint64();
        break;
      case 0x10:
        e.index = r.uint64();
        break;
      case 0x18:
        e.type = r.int32();
        break;
      case 0x22:
        e.data = r.bytes();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return e;
}

function decodeMessage(r: Reader, end: number): Message {
  const m: Message = {
    type: 0,
    to: 0,
    from: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: undefined,
    reject: false,
    rejectHint: 0,
    context: EMPTY_BYTES,
  };
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        m.type = r.int32();
        break;
      case 0x10:
        m.to = r.uint64();
        break;
      case 0x18:
        m.from = r.uint64();
        break;
      case 0x20:
        m.term = r.uint64();
        break;
      case 0x28:
        m.logTerm = r.uint64();
        break;
      case 0x30:
        m.index = r.uint64();
        break;
      case 0x3a: {
        const n = r.length();
        m.entries.push(decodeEntry(r, r.pos + n));
        break;
      }
      case 0x40:
        m.commit = r.uint64();
        break;
      case 0x4a: {
        const b = r.bytes();
        try {
          m.snapshot = raftv1.Snapshot.decode(b) as unknown as Message['snapshot'];
        } catch (e) {
          throw new FrameDecodeError(`bad snapshot field: ${(e as Error).message}`);
        }
        break;
      }
      case 0x50:
        m.reject = r.varint() !== 0;
        break;
      case 0x58:
        m.rejectHint = r.uint64();
        break;
      case 0x62:
        m.context = r.bytes();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return m;
}

/**
 * Decodes a frame of the message stream. `bytes` fields of the result are
 * views into `bytes`, not copies. Nothing here checks Raft-level sense (see
 * `fromWire`); only that the bytes are protobuf this frame can hold.
 *
 * @throws FrameDecodeError saying what is wrong and where
 */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  const r = new Reader(bytes, bytes.length);
  const f: DecodedFrame = { clusterId: 0, from: 0, to: 0, messages: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        f.clusterId = r.uint64();
        break;
      case 0x10:
        f.from = r.uint64();
        break;
      case 0x18:
        f.to = r.uint64();
        break;
      case 0x22: {
        const n = r.length();
        f.messages.push(decodeMessage(r, r.pos + n));
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return f;
}
