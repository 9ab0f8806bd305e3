import { type Entry, type Message, type RandomSource, message, randomInt, seededRandom } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { toWire } from './convert.js';
import { FrameDecodeError, decodeFrame, encodeFrame } from './frame-codec.js';

/** Numbers at the edges of every varint length, up to 2^53 - 1. */
const EDGES = [0, 1, 127, 128, 16_383, 16_384, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 49 - 1, 2 ** 49, Number.MAX_SAFE_INTEGER];

function num(r: RandomSource): number {
  return r() < 0.5 ? EDGES[randomInt(r, 0, EDGES.length)]! : randomInt(r, 0, 1_000_000);
}

function bytes(r: RandomSource, max: number): Uint8Array {
  return new Uint8Array(randomInt(r, 0, max + 1)).map(() => randomInt(r, 0, 256));
}

function randomMessage(r: RandomSource, withSnapshot: boolean): Message {
  const entries: Entry[] = Array.from({ length: randomInt(r, 0, 5) }, () => ({
    term: num(r),
    index: num(r),
    type: randomInt(r, 0, 2),
    data: bytes(r, 300),
  }));
  const m = message({
    type: randomInt(r, 0, 19),
    to: num(r),
    from: num(r),
    term: num(r),
    logTerm: num(r),
    index: num(r),
    commit: num(r),
    reject: r() < 0.5,
    rejectHint: num(r),
    context: bytes(r, 20),
    entries,
  });
  if (withSnapshot) {
    m.snapshot = {
      metadata: { index: num(r), term: num(r), confState: { voters: [num(r), 1], learners: [], votersOutgoing: [num(r)], learnersNext: [], autoLeave: r() < 0.5 } },
      data: bytes(r, 10),
    };
  }
  return m;
}

function generatedEncode(clusterId: number, from: number, to: number, ms: Message[]): Uint8Array {
  return raftv1.SendMessagesRequest.encode({ clusterId, from, to, messages: ms.map(toWire) }).finish();
}

/** The generated decoder's result in the core's plain shape, for comparison. */
function generatedDecode(b: Uint8Array) {
  const f = raftv1.SendMessagesRequest.decode(b);
  return normalize(f);
}

function normalize(f: { clusterId: number; from: number; to: number; messages: unknown[] }) {
  return JSON.parse(
    JSON.stringify(f, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v === undefined ? null : v)),
  ) as unknown;
}

describe('frame codec', () => {
  it('encodes byte for byte what the generated encoder produces', () => {
    const r = seededRandom(1);
    for (let round = 0; round < 300; round++) {
      const ms = Array.from({ length: randomInt(r, 0, 6) }, () => randomMessage(r, round % 10 === 0));
      const [c, f, t] = [num(r), num(r), num(r)];
      const mine = encodeFrame(c, f, t, ms);
      const theirs = generatedEncode(c, f, t, ms);
      expect(Buffer.compare(mine, Buffer.from(theirs)), `round ${round}`).toBe(0);
    }
  });

  it('decodes what the generated encoder produces to the same values', () => {
    const r = seededRandom(2);
    for (let round = 0; round < 300; round++) {
      const ms = Array.from({ length: randomInt(r, 0, 6) }, () => randomMessage(r, round % 10 === 0));
      const b = generatedEncode(num(r), num(r), num(r), ms);
      expect(normalize(decodeFrame(b)), `round ${round}`).toEqual(generatedDecode(b));
    }
  });

  it('skips unknown fields of every wire type, as protobuf requires', () => {
    const m = message({ type: 8, from: 2, to: 1, term: 3, commit: 9 });
    const known = generatedEncode(7, 2, 1, [m]);
    const inner = raftv1.Message.encode(toWire(m)).finish();
    // Field 15 varint, field 16 fixed64, field 17 bytes, field 18 fixed32, then the known fields again.
    const unknown = Buffer.from([0x78, 0x96, 0x01, 0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x01, 2, 0xaa, 0xbb, 0x95, 0x01, 1, 2, 3, 4]);
    const message4 = Buffer.concat([unknown, inner]);
    const frame = Buffer.concat([unknown, Buffer.from([0x22, message4.length]), message4, Buffer.from([0x08, 7, 0x10, 2, 0x18, 1])]);
    expect(normalize(decodeFrame(frame))).toEqual(generatedDecode(known));
    expect(normalize(decodeFrame(frame))).toEqual(generatedDecode(frame));
  });

  it('never accepts bytes the generated decoder refuses, and agrees with it whenever it accepts', () => {
    const r = seededRandom(3);
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 1500; round++) {
      const b = Buffer.from(generatedEncode(7, 2, 1, [randomMessage(r, false), randomMessage(r, false)]));
      // Corrupt a few bytes.
      for (let k = randomInt(r, 1, 4); k > 0; k--) b[randomInt(r, 0, b.length)] = randomInt(r, 0, 256);
      let mine: unknown;
      try {
        mine = normalize(decodeFrame(b));
      } catch (e) {
        expect(e).toBeInstanceOf(FrameDecodeError);
        refused++;
        continue;
      }
      accepted++;
      const theirs = generatedDecode(b);
      const ours = mine;
      expect(ours, `round ${round}`).toEqual(theirs);
    }
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it.each([
    ['a truncated varint', [0x08, 0x80], /truncated varint/],
    ['a length past the end', [0x22, 0x05, 0x08], /length 5 at byte 2 runs past the end/],
    ['a wire type that does not exist', [0x0f, 0x01], /invalid wire type 7/],
    ['a group', [0x0b, 0x0c], /invalid wire type 3/],
    ['field number 0', [0x00, 0x01], /invalid field number 0/],
    ['a tag wider than 32 bits', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01], /tag wider than 32 bits/],
    ['a number past 2^53', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], /larger than Number.MAX_SAFE_INTEGER/],
    ['a varint longer than 10 bytes', [0x08, ...new Array(11).fill(0xff), 0x01], /longer than 10 bytes/],
  ])('refuses %s', (_name, bytes, problem) => {
    expect(() => decodeFrame(Uint8Array.from(bytes))).toThrow(problem);
  });

  it('returns entry data as views into the frame, without copying', () => {
    const m = message({ type: 3, from: 1, to: 2, entries: [{ term: 1, index: 1, type: 0, data: new Uint8Array([1, 2, 3]) }] });
    const b = encodeFrame(1, 1, 2, [m]);
    const plain = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    const data = decodeFrame(plain).messages[0]!.entries[0]!.data;
    expect(data.buffer).toBe(b.buffer);
    expect(Buffer.isBuffer(data)).toBe(false);
  });
});
