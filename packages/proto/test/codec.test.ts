import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { asBuffer, deserializerFor, raftv1, serializerFor } from '../src/index.js';

describe('asBuffer', () => {
  it('views a Uint8Array as a Buffer sharing its memory', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const buf = asBuffer(view);
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect([...buf]).toEqual([1, 2, 3]);
    backing[2] = 42;
    expect(buf[1]).toBe(42);
  });

  it('returns a Buffer unchanged', () => {
    const buf = Buffer.from([1, 2]);
    expect(asBuffer(buf)).toBe(buf);
  });
});

describe('serializerFor / deserializerFor', () => {
  it('round-trips a message frame through grpc-js style Buffers', () => {
    const frame: raftv1.SendMessagesRequest = {
      clusterId: 77,
      from: 1,
      to: 2,
      messages: [
        {
          type: raftv1.MessageType.APP,
          to: 2,
          from: 1,
          term: 3,
          logTerm: 2,
          index: 10,
          entries: [{ term: 3, index: 11, type: raftv1.EntryType.NORMAL, data: new Uint8Array([1, 2, 3]) }],
          commit: 9,
          snapshot: undefined,
          reject: false,
          rejectHint: 0,
          context: new Uint8Array(0),
        },
      ],
    };
    const bytes = serializerFor(raftv1.SendMessagesRequest)(frame);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const back = deserializerFor(raftv1.SendMessagesRequest)(bytes);
    const { messages, ...header } = back;
    expect(header).toEqual({ clusterId: 77, from: 1, to: 2 });
    const [m] = messages;
    expect({ ...m, entries: [] }).toEqual({ ...frame.messages[0], entries: [] });
    // Decoded bytes are views into the received Buffer, not copies.
    const data = m!.entries[0]!.data;
    expect(data.buffer).toBe(bytes.buffer);
    expect([...data]).toEqual([1, 2, 3]);
    expect(m!.entries[0]).toMatchObject({ term: 3, index: 11, type: raftv1.EntryType.NORMAL });
  });

  it('keeps etcd-style field numbers for the peer frame (cluster_id = 1, from = 2, to = 3, messages = 4)', () => {
    const bytes = raftv1.SendMessagesRequest.encode({ clusterId: 5, from: 6, to: 7, messages: [] }).finish();
    expect([...bytes]).toEqual([0x08, 5, 0x10, 6, 0x18, 7]);
  });

  it('refuses 64-bit values that do not fit a JavaScript number', () => {
    const w = new BinaryWriter();
    w.uint32(0x08).uint64(2n ** 60n);
    expect(() => raftv1.SendMessagesRequest.decode(w.finish())).toThrow(/MAX_SAFE_INTEGER/);
  });
});
