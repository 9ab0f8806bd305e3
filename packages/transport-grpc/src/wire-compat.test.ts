import { createHash } from 'node:crypto';
import { EMPTY_BYTES, type Message, MessageType, isLocalMessage, message } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { encodeChunkFrame } from './chunk-frame.js';
import { MalformedMessageError, checkMessage, toWire, withoutSnapshotData } from './convert.js';
import { decodeFrame, encodeFrame } from './frame-codec.js';
import { INSTALL_SNAPSHOT_PATH, SEND_MESSAGES_PATH, encodeInstallSnapshotRequest } from './service.js';

/*
 * Scenario 31, rolling upgrade and mixed-version wire compatibility (after
 * hashicorp/raft-compat's RollingUpgrade and openraft's t10_wire_compat_09):
 * during a rolling upgrade members of two versions exchange messages, so the
 * bytes of the peer protocol (raftkit.raft.v1 as the hand-written frame codec
 * and the generated code write it) must not change under them. These tests
 * compare the encoding of one message of every type, and of the snapshot
 * transfer frames, with bytes committed here, and decode the committed bytes
 * back.
 *
 * WHEN A TEST HERE FAILS: the peer protocol changed, and a member of this
 * version may no longer understand one of the previous version (or the
 * reverse). If the change is deliberate, it must stay readable by the
 * previous version: new fields get new field numbers (old decoders skip
 * them), existing fields are never renumbered or retyped, and a new message
 * type or a new meaning is sent only once every member understands it
 * (feature-gated, with an upgrade path written down). Only then update the
 * fixture. Otherwise revert the change.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A term/index past 32 bits, so the high half of every varint is pinned too. */
const BIG = 2 ** 40 + 3;
const CLUSTER_ID = 0x12_3456_789a;

/** Plain data for comparing decoded messages with the originals: bytes as hex, no undefined fields. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? toHex(x) : x)));
}

const SNAPSHOT = {
  metadata: {
    index: BIG,
    term: 5,
    // A joint configuration, so every field of ConfState is set.
    confState: { voters: [1, 2, 3], learners: [5], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: true },
  },
  data: EMPTY_BYTES,
};

/**
 * One message of every type, shaped as the core sends it (the local types,
 * which never leave a member, too: their numbers are what receivers refuse),
 * each with the bytes of the frame that carries it alone.
 */
const GOLDEN: Array<{ name: string; m: Message; frame: string }> = [
  { name: 'Hup', m: message({ type: MessageType.Hup, to: 1, from: 1 }), frame: '089af1d9a2a30210011801220410011801' },
  { name: 'Beat', m: message({ type: MessageType.Beat, to: 1, from: 1 }), frame: '089af1d9a2a302100118012206080110011801' },
  {
    name: 'Prop',
    m: message({ type: MessageType.Prop, to: 1, from: 2, entries: [{ term: 0, index: 0, type: 0, data: text('put a=1') }] }),
    frame: '089af1d9a2a3021002180122110802100118023a09220770757420613d31',
  },
  {
    name: 'App',
    m: message({
      type: MessageType.App,
      to: 2,
      from: 1,
      term: 5,
      logTerm: 4,
      index: BIG - 2,
      commit: BIG - 3,
      entries: [
        { term: 5, index: BIG - 1, type: 0, data: text('put a=1') },
        { term: 5, index: BIG, type: 1, data: hex('0102020004020502') },
        // The no-op a new leader appends: empty data.
        { term: 5, index: BIG + 1, type: 0, data: EMPTY_BYTES },
      ],
    }),
    frame: '089af1d9a2a30210011802224e08031002180120052804308180808080203a12080510828080808020220770757420613d313a150805108380808080201801220801020200040205023a0908051084808080802040808080808020',
  },
  {
    name: 'AppResp',
    m: message({ type: MessageType.AppResp, to: 1, from: 2, term: 5, index: BIG - 2, reject: true, rejectHint: 300, logTerm: 3 }),
    frame: '089af1d9a2a3021002180122160804100118022005280330818080808020500158ac02',
  },
  {
    name: 'Vote',
    // A vote of a leadership transfer: its context is the transfer marker.
    m: message({ type: MessageType.Vote, to: 1, from: 3, term: 6, logTerm: 5, index: BIG, context: text('CampaignTransfer') }),
    frame: '089af1d9a2a3021003180122230805100118032006280530838080808020621043616d706169676e5472616e73666572',
  },
  { name: 'VoteResp', m: message({ type: MessageType.VoteResp, to: 3, from: 1, term: 6, reject: true }), frame: '089af1d9a2a30210011803220a08061003180120065001' },
  { name: 'Snap', m: message({ type: MessageType.Snap, to: 2, from: 1, term: 5, snapshot: SNAPSHOT }), frame: '089af1d9a2a30210011802222908071002180120054a1f0a1d0883808080802010051a120a030102031201051a030102042201042801' },
  { name: 'Heartbeat', m: message({ type: MessageType.Heartbeat, to: 2, from: 1, term: 5, commit: BIG - 3, context: hex('00000000000000ff') }), frame: '089af1d9a2a302100118022219080810021801200540808080808020620800000000000000ff' },
  { name: 'HeartbeatResp', m: message({ type: MessageType.HeartbeatResp, to: 1, from: 2, term: 5, context: hex('00000000000000ff') }), frame: '089af1d9a2a3021002180122120809100118022005620800000000000000ff' },
  { name: 'Unreachable', m: message({ type: MessageType.Unreachable, to: 1, from: 2 }), frame: '089af1d9a2a302100218012206080a10011802' },
  { name: 'SnapStatus', m: message({ type: MessageType.SnapStatus, to: 1, from: 2, reject: true }), frame: '089af1d9a2a302100218012208080b100118025001' },
  { name: 'CheckQuorum', m: message({ type: MessageType.CheckQuorum, to: 1, from: 1 }), frame: '089af1d9a2a302100118012206080c10011801' },
  { name: 'TransferLeader', m: message({ type: MessageType.TransferLeader, to: 1, from: 3, term: 5 }), frame: '089af1d9a2a302100318012208080d100118032005' },
  { name: 'TimeoutNow', m: message({ type: MessageType.TimeoutNow, to: 3, from: 1, term: 5 }), frame: '089af1d9a2a302100118032208080e100318012005' },
  {
    name: 'ReadIndex',
    m: message({ type: MessageType.ReadIndex, to: 1, from: 2, entries: [{ term: 0, index: 0, type: 0, data: hex('0000000000000007') }] }),
    frame: '089af1d9a2a302100218012212080f100118023a0a22080000000000000007',
  },
  {
    name: 'ReadIndexResp',
    m: message({ type: MessageType.ReadIndexResp, to: 2, from: 1, term: 5, index: BIG, entries: [{ term: 0, index: 0, type: 0, data: hex('0000000000000007') }] }),
    frame: '089af1d9a2a30210011802221b0810100218012005308380808080203a0a22080000000000000007',
  },
  { name: 'PreVote', m: message({ type: MessageType.PreVote, to: 2, from: 3, term: 7, logTerm: 5, index: BIG }), frame: '089af1d9a2a3021003180222110811100218032007280530838080808020' },
  { name: 'PreVoteResp', m: message({ type: MessageType.PreVoteResp, to: 3, from: 2, term: 7 }), frame: '089af1d9a2a3021002180322080812100318022007' },
];

function frameOf(m: Message): Buffer {
  return encodeFrame(CLUSTER_ID, m.from, m.to, [m]);
}

describe('scenario 31 (rolling upgrade): the peer message stream is byte-for-byte stable', () => {
  it('covers every message type, in the core numbering', () => {
    expect(GOLDEN.map((g) => g.m.type)).toEqual(Array.from({ length: 19 }, (_, i) => i));
    expect(GOLDEN.map((g) => g.name)).toEqual(GOLDEN.map((g) => MessageType[g.m.type]));
  });

  it.each(GOLDEN)('encodes $name as the committed frame', ({ name, m, frame }) => {
    // On failure: see the comment at the top of this file (deliberate change → compatibility path; otherwise revert).
    expect(toHex(frameOf(m)), `frame of a ${name} message changed`).toBe(frame);
    // The generated code (what proto/raftkit/raft/v1/raft.proto says) writes the same bytes.
    const generated = raftv1.SendMessagesRequest.encode({ clusterId: CLUSTER_ID, from: m.from, to: m.to, messages: [toWire(m)] }).finish();
    expect(toHex(generated), `raft.proto no longer encodes a ${name} message as committed`).toBe(frame);
  });

  it.each(GOLDEN)('decodes the committed $name frame to the same message', ({ m, frame }) => {
    const decoded = decodeFrame(hex(frame));
    expect(decoded.clusterId).toBe(CLUSTER_ID);
    expect(decoded.from).toBe(m.from);
    expect(decoded.to).toBe(m.to);
    expect(plain(decoded.messages)).toEqual(plain([m]));
    expect(plain(raftv1.SendMessagesRequest.decode(hex(frame)).messages)).toEqual(plain([m]));
  });

  it('encodes a frame of several messages as the addressing followed by each message, in order', () => {
    const batch = GOLDEN.filter((g) => g.m.from === 1 && g.m.to === 2);
    const addressing = toHex(encodeFrame(CLUSTER_ID, 1, 2, []));
    const frame = encodeFrame(CLUSTER_ID, 1, 2, batch.map((g) => g.m));
    expect(toHex(frame)).toBe(addressing + batch.map((g) => g.frame.slice(addressing.length)).join(''));
    expect(plain(decodeFrame(Uint8Array.from(frame)).messages)).toEqual(plain(batch.map((g) => g.m)));
  });

  it('accepts every type that travels and refuses the local ones by number', () => {
    for (const { name, m, frame } of GOLDEN) {
      const decoded = decodeFrame(hex(frame)).messages[0]!;
      const check = (): void => checkMessage(decoded, m.from, m.to, m.type === MessageType.Snap);
      if (isLocalMessage(m.type)) expect(check, name).toThrow(MalformedMessageError);
      else expect(check, name).not.toThrow();
    }
  });
});

describe('scenario 31 (rolling upgrade): a frame from a newer version still decodes', () => {
  // Field numbers this version does not know, of every wire type a newer version could use.
  const unknownFields = hex(
    [
      '9801' + '96e501', // field 19, varint
      'a101' + '0102030405060708', // field 20, fixed64
      'aa01' + '03' + 'aabbcc', // field 21, length-delimited
      'b501' + '01020304', // field 22, fixed32
    ].join(''),
  );

  function lengthDelimited(tag: number, body: Uint8Array): Uint8Array {
    const length: number[] = [];
    for (let n = body.length; ; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    return Uint8Array.from([tag, ...length, ...body]);
  }

  it('skips fields it does not know in the frame, the message, the entry and the snapshot', () => {
    const app = GOLDEN.find((g) => g.name === 'App')!.m;
    const snap = GOLDEN.find((g) => g.name === 'Snap')!.m;
    // The App message with unknown fields after its own and inside every entry.
    const entries = app.entries.map((e) => lengthDelimited(0x3a, Uint8Array.from([...raftv1.Entry.encode(e as unknown as raftv1.Entry).finish(), ...unknownFields])));
    const appBody = Uint8Array.from([...raftv1.Message.encode(toWire({ ...app, entries: [] })).finish(), ...entries.flatMap((e) => [...e]), ...unknownFields]);
    // The Snap message with unknown fields inside its snapshot, metadata and membership.
    const confState = Uint8Array.from([...raftv1.ConfState.encode(SNAPSHOT.metadata.confState).finish(), ...unknownFields]);
    const metadata = Uint8Array.from([
      ...raftv1.SnapshotMetadata.encode({ ...SNAPSHOT.metadata, confState: undefined }).finish(),
      ...lengthDelimited(0x1a, confState),
      ...unknownFields,
    ]);
    const snapshot = Uint8Array.from([...lengthDelimited(0x0a, metadata), ...unknownFields]);
    const snapBody = Uint8Array.from([...raftv1.Message.encode(toWire({ ...snap, snapshot: undefined })).finish(), ...lengthDelimited(0x4a, snapshot)]);
    const frame = Uint8Array.from([
      ...unknownFields,
      ...raftv1.SendMessagesRequest.encode({ clusterId: CLUSTER_ID, from: 1, to: 2, messages: [] }).finish(),
      ...unknownFields,
      ...lengthDelimited(0x22, appBody),
      ...lengthDelimited(0x22, snapBody),
      ...unknownFields,
    ]);
    const decoded = decodeFrame(frame);
    expect({ clusterId: decoded.clusterId, from: decoded.from, to: decoded.to }).toEqual({ clusterId: CLUSTER_ID, from: 1, to: 2 });
    expect(plain(decoded.messages)).toEqual(plain([app, snap]));
    expect(() => checkMessage(decoded.messages[0]!, 1, 2, false)).not.toThrow();
    expect(() => checkMessage(decoded.messages[1]!, 1, 2, true)).not.toThrow();
    // The generated decoder (the snapshot transfer's header) skips them too.
    expect(plain(raftv1.SendMessagesRequest.decode(frame).messages)).toEqual(plain([app, snap]));
  });

  it('refuses a message type it does not know, naming it (new types must wait until every member knows them)', () => {
    const m = message({ type: 19 as MessageType, to: 2, from: 1, term: 5 });
    const decoded = decodeFrame(Uint8Array.from(frameOf(m))).messages[0]!;
    expect(decoded.type).toBe(19);
    expect(() => checkMessage(decoded, 1, 2, false)).toThrow('message type 19 is unknown; expected 0..18');
  });
});

describe('scenario 31 (rolling upgrade): the snapshot transfer is byte-for-byte stable', () => {
  const snap = message({ type: MessageType.Snap, to: 2, from: 1, term: 5, snapshot: { ...SNAPSHOT, data: text('not sent in the header') } });
  const SHA256 = Uint8Array.from(createHash('sha256').update('raftkit').digest());
  const FRAMES = {
    header: {
      bytes: () =>
        encodeInstallSnapshotRequest({
          frame: { $case: 'header', value: { clusterId: CLUSTER_ID, from: 1, to: 2, message: toWire(withoutSnapshotData(snap)), totalSize: 3 * 2 ** 20 + 1 } },
        }),
      hex: '0a3b089af1d9a2a30210011802222908071002180120054a1f0a1d0883808080802010051a120a030102031201051a030102042201042801288180c001',
    },
    chunk: { bytes: () => encodeChunkFrame(2 ** 20, text('chunk bytes')), hex: '121108808040120b6368756e6b206279746573' },
    trailer: {
      bytes: () => encodeInstallSnapshotRequest({ frame: { $case: 'trailer', value: { sha256: SHA256 } } }),
      hex: '1a220a20e2d01b92f21428b0231b88ff9d375fa3c236801542686dddd899d1a6de6570d3',
    },
    response: { bytes: () => raftv1.InstallSnapshotResponse.encode({ receivedBytes: 3 * 2 ** 20 + 1 }).finish(), hex: '088180c001' },
  };

  it.each(Object.entries(FRAMES))('encodes the %s frame as committed', (name, { bytes, hex: fixture }) => {
    // On failure: see the comment at the top of this file (deliberate change → compatibility path; otherwise revert).
    expect(toHex(bytes()), `snapshot transfer ${name} frame changed`).toBe(fixture);
  });

  it('decodes the committed frames', () => {
    const header = raftv1.InstallSnapshotRequest.decode(hex(FRAMES.header.hex)).frame;
    expect(header?.$case).toBe('header');
    expect(plain(header?.value)).toEqual(plain({ clusterId: CLUSTER_ID, from: 1, to: 2, message: withoutSnapshotData(snap), totalSize: 3 * 2 ** 20 + 1 }));
    const chunk = raftv1.InstallSnapshotRequest.decode(hex(FRAMES.chunk.hex)).frame;
    expect(plain(chunk)).toEqual(plain({ $case: 'chunk', value: { offset: 2 ** 20, data: text('chunk bytes') } }));
    const trailer = raftv1.InstallSnapshotRequest.decode(hex(FRAMES.trailer.hex)).frame;
    expect(plain(trailer)).toEqual(plain({ $case: 'trailer', value: { sha256: SHA256 } }));
    expect(raftv1.InstallSnapshotResponse.decode(hex(FRAMES.response.hex)).receivedBytes).toBe(3 * 2 ** 20 + 1);
  });

  it('keeps the gRPC method paths and the empty stream response', () => {
    expect(SEND_MESSAGES_PATH).toBe('/raftkit.raft.v1.RaftPeer/SendMessages');
    expect(INSTALL_SNAPSHOT_PATH).toBe('/raftkit.raft.v1.RaftPeer/InstallSnapshot');
    expect(raftv1.SendMessagesResponse.encode({}).finish().length).toBe(0);
  });
});
