import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { EntryType, MessageType } from '@raftkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrpcTransport, peerServerOptions } from '../src/index.js';
import { type Member, delay, peerStats, recordingHandler, recordingLogger, startMember, waitFor } from './support/harness.js';
import { frameBytes, hb, sendRawFrames, sendRawSnapshot, snapshotFrame, snapshotHeader } from './support/raw.js';
import { HashingSink } from './support/snapshots.js';

describe('bad input on the message stream', () => {
  let member: Member;
  let logger: ReturnType<typeof recordingLogger>;
  beforeEach(async () => {
    logger = recordingLogger();
    // Member 1 knows member 2 (at an address nobody listens on: only its incoming side matters here).
    member = await startMember(1, { logger, maxMessageBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024, rejectLogIntervalMs: 60_000 });
    member.transport.setPeer({ id: 2, address: '127.0.0.1:1' });
  });
  afterEach(async () => {
    await member.transport.close();
  });

  it('accepts a well-formed frame from a known member (the baseline the other cases break)', async () => {
    const status = await sendRawFrames(member.address, [frameBytes({ messages: [hb({ commit: 3 })] })]);
    expect(status.code).toBe(grpc.status.OK);
    expect(member.inbox.messages.map((m) => m.commit)).toEqual([3]);
  });

  it('answers bytes that are not protobuf with INVALID_ARGUMENT', async () => {
    // Field 1 with wire type 7, which does not exist.
    const invalidWireType = await sendRawFrames(member.address, [Buffer.from([0x0f, 0xff, 0x13, 0x37])]);
    expect(invalidWireType.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalidWireType.details).toMatch(/^undecodable frame: /);
    // Field 4 announcing 127 bytes where one follows.
    const truncated = await sendRawFrames(member.address, [Buffer.from([0x22, 0x7f, 0x01])]);
    expect(truncated.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(truncated.details).toMatch(/^undecodable frame: /);
    expect(member.transport.stats().rejectedUnattributed).toBe(2);
    expect(member.inbox.messages).toEqual([]);
  });

  it('answers a frame of another cluster with FAILED_PRECONDITION', async () => {
    const status = await sendRawFrames(member.address, [frameBytes({ clusterId: 99, messages: [hb()] })]);
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(status.details).toBe("cluster id 99 does not match this member's cluster id 7");
    expect(member.inbox.messages).toEqual([]);
  });

  it('answers a frame from an unknown sender with PERMISSION_DENIED', async () => {
    const status = await sendRawFrames(member.address, [frameBytes({ from: 5, messages: [hb({ from: 5 })] })]);
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toBe('sender 5 is not a member of cluster 7 known to member 1');
  });

  it('answers a frame meant for another member with FAILED_PRECONDITION', async () => {
    const status = await sendRawFrames(member.address, [frameBytes({ to: 3, messages: [hb({ to: 3 })] })]);
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(status.details).toMatch(/frame for member 3 reached member 1/);
    expect(peerStats(member, 2).rejected).toBe(1);
  });

  it('answers an oversized frame with RESOURCE_EXHAUSTED before reading it, and counts and logs it', async () => {
    const big = frameBytes({ messages: [hb({ type: MessageType.App, entries: [{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array(100_000) }] })] });
    const status = await sendRawFrames(member.address, [big]);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/larger than max \(\d+ vs 65536\)/);
    expect(member.inbox.messages).toEqual([]);
    // grpc-js refused it before any frame of the stream was read: the sender is not known.
    expect(member.transport.stats().rejectedUnattributed).toBe(1);
    expect(peerStats(member, 2).rejected).toBe(0);
    expect(logger.lines.filter((l) => l.message === 'refused input from a peer').map((l) => l.fields)).toEqual([
      { from: undefined, code: 'RESOURCE_EXHAUSTED', details: expect.stringMatching(/^Received message larger than max \(\d+ vs 65536\)$/) },
    ]);
  });

  it("counts an oversized frame against the stream's sender once a valid frame named it, logging once per interval", async () => {
    const big = frameBytes({ messages: [hb({ context: new Uint8Array(100_000) })] });
    for (let i = 0; i < 3; i++) {
      const stream = rawStream(member.address);
      stream.write(frameBytes({ messages: [hb({ commit: i + 1 })] }));
      await waitFor('the valid frame', () => member.inbox.messages.length === i + 1);
      stream.write(big);
      const status = await stream.status;
      expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    }
    expect(peerStats(member, 2).rejected).toBe(3);
    expect(member.transport.stats().rejectedUnattributed).toBe(0);
    const warnings = logger.lines.filter((l) => l.message === 'refused input from a peer');
    expect(warnings.map((l) => l.fields)).toEqual([{ from: 2, code: 'RESOURCE_EXHAUSTED', details: expect.stringMatching(/larger than max/) }]);
    // The stream's own refusals, sent by the handler, are not counted twice.
    const misaddressed = await sendRawFrames(member.address, [frameBytes({ to: 3 })]);
    expect(misaddressed.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(peerStats(member, 2).rejected).toBe(4);
  });

  it('answers malformed messages with INVALID_ARGUMENT naming the problem', async () => {
    const cases: [ReturnType<typeof hb>, RegExp][] = [
      [hb({ type: 99 as MessageType }), /message type 99 is unknown/],
      [hb({ type: MessageType.Hup }), /message type Hup is local/],
      [hb({ from: 3 }), /message from member 3 inside a frame from member 2/],
      [hb({ to: 4 }), /message to member 4 inside a frame to member 1/],
      [hb({ type: MessageType.Snap, snapshot: { metadata: { index: 1, term: 1, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array() } }), /snapshots travel through InstallSnapshot/],
      [hb({ type: MessageType.App, entries: [{ term: 1, index: 1, type: 5 as EntryType, data: new Uint8Array() }] }), /entry 0 has type 5/],
    ];
    for (const [m, details] of cases) {
      const status = await sendRawFrames(member.address, [frameBytes({ messages: [hb({ commit: 1 }), m] })]);
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(details);
    }
    // A frame is delivered whole or not at all.
    expect(member.inbox.messages).toEqual([]);
    expect(peerStats(member, 2).rejected).toBe(cases.length);
  });

  it('stops reading a stream at its first bad frame', async () => {
    const status = await sendRawFrames(member.address, [
      frameBytes({ messages: [hb({ commit: 1 })] }),
      frameBytes({ clusterId: 8 }),
      frameBytes({ messages: [hb({ commit: 2 })] }),
    ]);
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(member.inbox.messages.map((m) => m.commit)).toEqual([1]);
    // Refusals after the first valid frame count against the stream's sender.
    expect(peerStats(member, 2).rejected).toBe(1);
  });

  it('logs refusals at most once per sender per interval and counts every one', async () => {
    for (let i = 0; i < 5; i++) await sendRawFrames(member.address, [frameBytes({ clusterId: 99 })]);
    for (let i = 0; i < 3; i++) await sendRawFrames(member.address, [frameBytes({ to: 9 })]);
    const warnings = logger.lines.filter((l) => l.message === 'refused input from a peer');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.fields).toMatchObject({ code: 'FAILED_PRECONDITION', details: expect.stringContaining('cluster id 99') });
    expect(warnings[1]!.fields).toMatchObject({ from: 2, code: 'FAILED_PRECONDITION' });
    expect(member.transport.stats().rejectedUnattributed).toBe(5);
    expect(peerStats(member, 2).rejected).toBe(3);
  });

  it('survives raw non-HTTP/2 garbage on its port and keeps serving', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(member.port, '127.0.0.1', () => {
        socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff\x13\x37 this is no gRPC'));
      });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.resume();
      setTimeout(() => socket.destroy(), 2000);
    });
    const status = await sendRawFrames(member.address, [frameBytes({ messages: [hb({ commit: 4 })] })]);
    expect(status.code).toBe(grpc.status.OK);
    expect(member.inbox.messages.map((m) => m.commit)).toEqual([4]);
  });
});

/** A message stream whose frames the test writes one at a time. */
function rawStream(address: string): { write(frame: Buffer): void; status: Promise<grpc.StatusObject> } {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest('/raftkit.raft.v1.RaftPeer/SendMessages', (b: Buffer) => b, (b: Buffer) => b);
  call.on('data', () => {});
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve)).finally(() => client.close());
  return { write: (frame) => call.write(frame), status };
}

describe('the peer service on a server the application owns', () => {
  it('serves frames, refuses those over maxMessageBytes even when the server allows more, and leaves on close', async () => {
    const { handler, inbox } = recordingHandler();
    const transport = new GrpcTransport({ id: 1, clusterId: 7, handler, maxMessageBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024, peers: [{ id: 2, address: '127.0.0.1:1' }] });
    // Server created without peerServerOptions: grpc-js's own limit is its default 4 MiB.
    const server = new grpc.Server();
    transport.register(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const address = `127.0.0.1:${port}`;
    try {
      expect((await sendRawFrames(address, [frameBytes({ messages: [hb({ commit: 1 })] })])).code).toBe(grpc.status.OK);
      expect(inbox.messages.map((m) => m.commit)).toEqual([1]);

      const big = frameBytes({ messages: [hb({ context: new Uint8Array(100_000) })] });
      const status = await sendRawFrames(address, [big]);
      expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(status.details).toMatch(/^frame of \d+ bytes exceeds maxMessageBytes \(65536\)$/);
      expect(inbox.messages).toHaveLength(1);
      expect(peerServerOptions({ maxMessageBytes: 65536 })['grpc.max_receive_message_length']).toBe(65536);
      expect(transport.serverOptions()).toMatchObject({ 'grpc.max_receive_message_length': 65536, interceptors: [expect.any(Function)] });

      // Closing the transport takes its service off the application's server, which keeps running.
      await transport.close();
      expect((await sendRawFrames(address, [frameBytes({ messages: [hb()] })])).code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      await transport.close();
      server.forceShutdown();
    }
  });
});

describe('bad input on InstallSnapshot', () => {
  let member: Member;
  let sink: HashingSink;
  beforeEach(async () => {
    sink = new HashingSink();
    member = await startMember(1, { snapshotSink: sink });
    member.transport.setPeer({ id: 2, address: '127.0.0.1:1' });
  });
  afterEach(async () => {
    await member.transport.close();
  });

  const data = new Uint8Array(3000).map((_, i) => i & 0xff);
  const digest = createHash('sha256').update(data).digest();
  const chunk = (offset: number, bytes: Uint8Array) => snapshotFrame({ $case: 'chunk', value: { offset, data: bytes } });
  const trailer = (sha256: Uint8Array) => snapshotFrame({ $case: 'trailer', value: { sha256 } });

  it('accepts a complete, consistent transfer (the baseline)', async () => {
    const res = await sendRawSnapshot(member.address, [snapshotHeader(3000), chunk(0, data.subarray(0, 2000)), chunk(2000, data.subarray(2000)), trailer(digest)]);
    expect(res).toEqual({ code: grpc.status.OK, details: '', receivedBytes: 3000 });
    await waitFor('Snap delivery', () => member.inbox.messages.length === 1);
    expect(member.inbox.messages[0]!.snapshot!.metadata.index).toBe(10);
  });

  it('answers a checksum mismatch with DATA_LOSS, aborts the sink and delivers nothing', async () => {
    const wrong = Uint8Array.from(digest).fill(0, 0, 4);
    const res = await sendRawSnapshot(member.address, [snapshotHeader(3000), chunk(0, data), trailer(wrong)]);
    expect(res.code).toBe(grpc.status.DATA_LOSS);
    expect(res.details).toBe('snapshot checksum mismatch after 3000 bytes');
    expect(sink.received.map((r) => r.outcome)).toEqual(['aborted']);
    await delay(20);
    expect(member.inbox.messages).toEqual([]);
    expect(peerStats(member, 2).rejected).toBe(1);
  });

  it('answers out-of-order, overlong, short and headless transfers with INVALID_ARGUMENT', async () => {
    const cases: [Buffer[], RegExp][] = [
      [[chunk(0, data)], /must start with a header, not chunk/],
      [[snapshotHeader(3000), chunk(5, data)], /chunk at offset 5; expected offset 0/],
      [[snapshotHeader(100), chunk(0, data)], /chunks exceed the declared size of 100 bytes/],
      [[snapshotHeader(3000), chunk(0, data.subarray(0, 10)), trailer(digest)], /snapshot ended after 10 of 3000 declared bytes/],
      [[snapshotHeader(3000), chunk(0, data)], /ended without a trailer after 3000 of 3000 bytes/],
      [[snapshotHeader(3000), chunk(0, data), trailer(digest), chunk(3000, data)], /frame after the snapshot trailer/],
      [[Buffer.from([0x0f, 0x01])], /undecodable snapshot frame/],
    ];
    for (const [frames, details] of cases) {
      const res = await sendRawSnapshot(member.address, frames);
      expect(res.code, String(details)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(res.details).toMatch(details);
    }
    await delay(20);
    expect(member.inbox.messages).toEqual([]);
    expect(sink.received.every((r) => r.outcome === 'aborted')).toBe(true);
  });

  it('counts a chunk over the receive limit against the sender, aborting the transfer', async () => {
    // Member 1 again, with a limit a chunk can exceed.
    const small = await startMember(1, { snapshotSink: sink, maxMessageBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024 });
    small.transport.setPeer({ id: 2, address: '127.0.0.1:1' });
    try {
      const client = new grpc.Client(small.address, grpc.credentials.createInsecure());
      const outcome = new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.makeClientStreamRequest(
          '/raftkit.raft.v1.RaftPeer/InstallSnapshot',
          (b: Buffer) => b,
          (b: Buffer) => b,
          (err: grpc.ServiceError | null) => resolve(err),
        );
        call.write(snapshotHeader(200_000));
        void waitFor('the sink to begin', () => sink.received.length === 1).then(() => call.write(chunk(0, new Uint8Array(100_000))));
      });
      const err = await outcome;
      client.close();
      expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      await waitFor('the abort', () => sink.received[0]?.outcome === 'aborted');
      expect(peerStats(small, 2)).toMatchObject({ rejected: 1, snapshotReceiveFailures: 1, snapshotsReceived: 0 });
      expect(small.transport.stats().rejectedUnattributed).toBe(0);
      expect(small.inbox.messages).toEqual([]);
    } finally {
      await small.transport.close();
    }
  });

  it('checks the header like a message frame: cluster, sender, receiver', async () => {
    expect((await sendRawSnapshot(member.address, [snapshotHeader(1, { clusterId: 3 })])).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((await sendRawSnapshot(member.address, [snapshotHeader(1, { from: 6 })])).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await sendRawSnapshot(member.address, [snapshotHeader(1, { to: 4 })])).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(sink.received).toEqual([]);
  });
});
