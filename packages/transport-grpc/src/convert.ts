import {
  type ConfState,
  EMPTY_BYTES,
  type Entry,
  type Message,
  MessageType,
  type Snapshot,
  type SnapshotMetadata,
  isLocalMessage,
} from '@raftkit/core';
import type { raftv1 } from '@raftkit/proto';

/*
 * The core's types mirror raftkit.raft.v1 field for field, with the same enum
 * numbers (checked by convert.test.ts), so converting is a matter of types,
 * not of copying: the same objects are encoded and decoded. That keeps the
 * hot path free of per-message and per-entry allocations. The assertions
 * below make the compiler reject any drift between the two shapes.
 */
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
type Assert<T extends true> = T;
/** Compiles only while the core's types and the wire's have the same fields. */
export type ShapesMatch = [
  Assert<SameKeys<Message, raftv1.Message>>,
  Assert<SameKeys<Entry, raftv1.Entry>>,
  Assert<SameKeys<Snapshot, raftv1.Snapshot>>,
  Assert<SameKeys<SnapshotMetadata, raftv1.SnapshotMetadata>>,
  Assert<SameKeys<ConfState, raftv1.ConfState>>,
];

/** The wire form of a core message; no copy is made. */
export function toWire(m: Message): raftv1.Message {
  return m as unknown as raftv1.Message;
}

/** A message received from the network that cannot be trusted, with the reason. */
export class MalformedMessageError extends Error {
  /** `message` says what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

const KNOWN_TYPES = MessageType.PreVoteResp;

/**
 * Turns a decoded wire message from member `from` to member `to` into a core
 * message, in place, after checking it with {@link checkMessage}.
 *
 * @throws MalformedMessageError saying what is wrong
 */
export function fromWire(w: raftv1.Message, from: number, to: number, allowSnapshot: boolean): Message {
  const m = w as unknown as Message;
  checkMessage(m, from, to, allowSnapshot);
  return m;
}

/**
 * Checks that a message received from member `from` for member `to` is
 * well-formed: a known, non-local type, the expected sender and receiver,
 * known entry types. Snapshot metadata is accepted only when
 * `allowSnapshot` (snapshots arrive through InstallSnapshot, never on the
 * message stream); a Snap message missing its membership gets an empty one.
 *
 * @throws MalformedMessageError saying what is wrong
 */
export function checkMessage(m: Message, from: number, to: number, allowSnapshot: boolean): void {
  const t = m.type as number;
  if (!Number.isInteger(t) || t < 0 || t > KNOWN_TYPES) {
    throw new MalformedMessageError(`message type ${t} is unknown; expected 0..${KNOWN_TYPES}`);
  }
  if (isLocalMessage(t)) {
    throw new MalformedMessageError(`message type ${MessageType[t]} is local to a member and never travels`);
  }
  if (m.from !== from) throw new MalformedMessageError(`message from member ${m.from} inside a frame from member ${from}`);
  if (m.to !== to) throw new MalformedMessageError(`message to member ${m.to} inside a frame to member ${to}`);
  const entries = m.entries;
  for (let i = 0; i < entries.length; i++) {
    const et = entries[i]!.type as number;
    if (et !== 0 && et !== 1) throw new MalformedMessageError(`entry ${i} has type ${et}; expected 0 (normal) or 1 (conf change)`);
  }
  if (t === MessageType.Snap) {
    if (!allowSnapshot) {
      throw new MalformedMessageError('a Snap message arrived on the message stream; snapshots travel through InstallSnapshot');
    }
    // The wire may omit the metadata or the membership; the core's types require them.
    const md = (m.snapshot as raftv1.Snapshot | undefined)?.metadata;
    if (!md) throw new MalformedMessageError('Snap message without snapshot metadata');
    md.confState ??= { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  } else if (m.snapshot !== undefined) {
    throw new MalformedMessageError(`a ${MessageType[t]} message carries a snapshot; only Snap messages may`);
  }
}

/** A copy of `m` that keeps the snapshot metadata and drops the bytes, for the header of a transfer. */
export function withoutSnapshotData(m: Message): Message {
  const snapshot = m.snapshot ? { metadata: m.snapshot.metadata, data: EMPTY_BYTES } : undefined;
  return { ...m, snapshot };
}

/** Upper bound of the encoded size of one message on the message stream (varints at their widest). */
export function messageSizeBound(m: Message): number {
  // type, to, from, term, logTerm, index, commit, reject, rejectHint, context
  // and the length prefix of the message itself: at most 11 bytes per field.
  let n = 110 + m.context.length;
  const entries = m.entries;
  for (let i = 0; i < entries.length; i++) {
    // tag + length, term, index, type, data tag + length
    n += 40 + entries[i]!.data.length;
  }
  return n;
}

/**
 * Views a received Buffer as a plain Uint8Array (no copy). Decoding from it
 * makes every decoded `bytes` field a plain Uint8Array view too, as the
 * core's types promise, instead of a Buffer.
 */
export function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
