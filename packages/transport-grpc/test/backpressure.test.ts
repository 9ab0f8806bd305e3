import * as grpc from '@grpc/grpc-js';
import { EntryType, MessageType, message } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { peerServiceDefinition } from '../src/index.js';
import { exposeGc } from './support/gc.js';
import { type Member, heartbeat, peerStats, startMember, stopAll, waitFor } from './support/harness.js';

/**
 * A peer that accepts the message stream and then stops reading from it, as
 * a member stuck in a long GC pause or a blocked event loop would. Its
 * HTTP/2 flow-control window fills and the sender can no longer write.
 */
async function startStalledPeer(): Promise<{ address: string; frames: () => number; resume: () => void; stop: () => void }> {
  const server = new grpc.Server();
  const calls: grpc.ServerDuplexStream<Buffer, unknown>[] = [];
  let frames = 0;
  server.addService(peerServiceDefinition, {
    sendMessages: (call: grpc.ServerDuplexStream<Buffer, unknown>) => {
      call.sendMetadata(new grpc.Metadata());
      calls.push(call);
      call.on('error', () => {});
    },
    installSnapshot: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    frames: () => frames,
    resume: () => {
      for (const c of calls) c.on('data', () => frames++);
    },
    stop: () => server.forceShutdown(),
  };
}

describe('backpressure', () => {
  let members: Member[] = [];
  let stopPeer: (() => void) | undefined;
  afterEach(async () => {
    stopPeer?.();
    stopPeer = undefined;
    await stopAll(members);
    members = [];
  });

  it('bounds the queue of a stalled peer, drops and counts the excess, and keeps other peers flowing', async () => {
    const stalled = await startStalledPeer();
    stopPeer = stalled.stop;
    const a = await startMember(1, { maxQueueMessages: 500, maxQueueBytes: 8 * 1024 * 1024 });
    const c = await startMember(3);
    members.push(a, c);
    a.transport.setPeer({ id: 2, address: stalled.address });
    a.transport.setPeer({ id: 3, address: c.address });
    c.transport.setPeer({ id: 1, address: a.address });
    await waitFor('stream to the stalled peer', () => peerStats(a, 2).connected);

    // One 64 KiB payload shared by every entry, so the test itself allocates
    // little and memory growth measures the transport alone.
    const payload = new Uint8Array(64 * 1024).fill(7);
    const append = (index: number) =>
      message({ type: MessageType.App, from: 1, to: 2, term: 1, index, entries: [{ term: 1, index: index + 1, type: EntryType.Normal, data: payload }] });
    exposeGc()();
    const before = process.memoryUsage();
    let peakQueueBytes = 0;
    let peakExternal = 0;
    const turns = 100;
    const perTurn = 20; // 100 turns x 20 x 64 KiB = 125 MiB offered to the stalled peer
    for (let t = 0; t < turns; t++) {
      const batch = [];
      for (let i = 0; i < perTurn; i++) batch.push(append(t * perTurn + i));
      a.transport.send(batch);
      a.transport.send([heartbeat(1, 3, t + 1)]);
      await new Promise((r) => setImmediate(r));
      const s = peerStats(a, 2);
      peakQueueBytes = Math.max(peakQueueBytes, s.queueBytes);
      const mem = process.memoryUsage();
      peakExternal = Math.max(peakExternal, mem.arrayBuffers + mem.heapUsed - before.arrayBuffers - before.heapUsed);
    }
    const s = peerStats(a, 2);
    expect(s.queueDepth).toBeLessThanOrEqual(500);
    expect(peakQueueBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(s.dropped).toBeGreaterThan(turns * perTurn * 0.8);
    expect(s.sent + s.dropped + s.queueDepth).toBe(turns * perTurn);
    expect(s.connected).toBe(true);
    expect(peakExternal).toBeLessThan(48 * 1024 * 1024);
    await waitFor('unreachable report for the stalled peer', () => a.inbox.unreachable.includes(2));

    // The healthy peer got everything, in order, while the other one was stuck.
    await waitFor('all heartbeats at the healthy peer', () => c.inbox.messages.length === turns);
    expect(c.inbox.messages.map((m) => m.commit)).toEqual(Array.from({ length: turns }, (_, k) => k + 1));
    expect(peerStats(a, 3).dropped).toBe(0);

    // Once the stalled peer reads again, the stream drains and new messages flow.
    stalled.resume();
    await waitFor('queue drained', () => peerStats(a, 2).queueDepth === 0);
    const framesBefore = stalled.frames();
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('a new frame reaches the recovered peer', () => stalled.frames() > framesBefore);
  });
});
