import * as grpc from '@grpc/grpc-js';
import { type Message, MessageType, message } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcTransport } from '../src/index.js';
import { type Member, delay, peerStats, recordingHandler, recordingLogger, startMember, stopAll, waitFor } from './support/harness.js';
import { exposeGc } from './support/gc.js';
import { HashingSink, generatedDigest, generatedSource } from './support/snapshots.js';

const MiB = 1024 * 1024;

function snap(from: number, to: number, index: number, data = new Uint8Array(0)): Message {
  return message({
    type: MessageType.Snap,
    from,
    to,
    term: 3,
    snapshot: {
      metadata: { index, term: 2, confState: { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false } },
      data,
    },
  });
}

async function pair(
  sender: Parameters<typeof startMember>[1],
  receiver: Parameters<typeof startMember>[1],
): Promise<[Member, Member]> {
  const a = await startMember(1, sender);
  const b = await startMember(2, receiver);
  a.transport.setPeer({ id: 2, address: b.address });
  b.transport.setPeer({ id: 1, address: a.address });
  return [a, b];
}

describe('snapshot transfer', () => {
  let members: Member[] = [];
  afterEach(async () => {
    await stopAll(members);
    members = [];
  });

  it('streams a 100 MiB snapshot in chunks with memory far below its size, then delivers the Snap message', async () => {
    const total = 100 * MiB;
    // Pieces of an odd size, so the transport has to re-chunk them.
    const piece = 700 * 1024;
    const source = generatedSource(total, piece);
    const sink = new HashingSink();
    members = await pair({ snapshotSource: source }, { snapshotSink: sink });
    const [a, b] = members as [Member, Member];

    // Three measures, sampled every 10 ms during the transfer:
    // - read-ahead: how far the transport has read the source beyond what the
    //   sink has stored, i.e. what is in flight (must be a few chunks);
    // - live: heap and buffers in use after full collections, i.e. what is
    //   kept alive;
    // - rss: the process as the OS sees it, including the tens of MiB of dead
    //   buffers V8 lets pile up between collections and allocator slack.
    const gc = exposeGc();
    gc();
    const base = process.memoryUsage();
    let peakReadAhead = 0;
    let peakLive = 0;
    let peakRss = 0;
    let ticks = 0;
    let collections = 0;
    const sampler = setInterval(() => {
      ticks++;
      peakReadAhead = Math.max(peakReadAhead, source.pulled - (sink.received[0]?.bytes ?? 0));
      peakRss = Math.max(peakRss, process.memoryUsage().rss - base.rss);
      if (ticks % 10 === 0) {
        // The second collection first finishes freeing what the first found dead.
        gc();
        gc();
        const m = process.memoryUsage();
        peakLive = Math.max(peakLive, m.arrayBuffers + m.heapUsed - base.arrayBuffers - base.heapUsed);
        collections++;
      }
    }, 10);
    const started = performance.now();
    a.transport.send([snap(1, 2, 500)]);
    try {
      await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1, 60_000);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;

    expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
    expect(sink.received).toHaveLength(1);
    const got = sink.received[0]!;
    expect(got).toMatchObject({ from: 1, bytes: total, outcome: 'committed' });
    expect(got.sha256).toBe(generatedDigest(total, piece));
    expect(source.opened).toBe(1);
    expect(source.closed).toBe(1);

    // Delivered once committed: metadata intact, bytes not carried in the message.
    await waitFor('Snap delivery', () => b.inbox.messages.length === 1);
    const m = b.inbox.messages[0]!;
    expect(m.type).toBe(MessageType.Snap);
    expect(m.snapshot!.metadata).toEqual({
      index: 500,
      term: 2,
      confState: { voters: [1, 2, 3], learners: [4], votersOutgoing: [], learnersNext: [], autoLeave: false },
    });
    expect(m.snapshot!.data.length).toBe(0);
    expect(peerStats(a, 2).snapshotsSent).toBe(1);
    expect(peerStats(b, 1).snapshotsReceived).toBe(1);

    // Sender and receiver share this process: both sides together stay far below the snapshot's size.
    console.info(
      `100 MiB snapshot in ${seconds.toFixed(2)} s (${ticks} samples, ${collections} after collections); peaks: read-ahead ${(peakReadAhead / MiB).toFixed(1)} MiB, ` +
        `live ${(peakLive / MiB).toFixed(1)} MiB, rss growth ${(peakRss / MiB).toFixed(1)} MiB`,
    );
    expect(collections).toBeGreaterThanOrEqual(3);
    expect(peakReadAhead).toBeLessThanOrEqual(4 * MiB);
    expect(peakLive).toBeLessThan(24 * MiB);
    expect(peakRss).toBeLessThan(75 * MiB);
  });

  it('sends the bytes carried in the message when there is no source, and delivers bytes the sink returns', async () => {
    const sink = new HashingSink({ keep: true });
    members = await pair({ snapshotChunkBytes: 1000 }, { snapshotSink: sink });
    const [a, b] = members as [Member, Member];
    const data = new Uint8Array(4500).map((_, i) => i % 251);
    a.transport.send([snap(1, 2, 9, data)]);
    await waitFor('Snap delivery', () => b.inbox.messages.length === 1);
    expect([...b.inbox.messages[0]!.snapshot!.data]).toEqual([...data]);
    expect(sink.received[0]!.bytes).toBe(4500);
    await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1);
    expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
  });

  it('retries an interrupted transfer from the start and reports success once', async () => {
    const source = generatedSource(5 * MiB, MiB);
    const sink = new HashingSink({ failFirstAtChunk: 3 });
    members = await pair({ snapshotSource: source }, { snapshotSink: sink });
    const [a, b] = members as [Member, Member];
    a.transport.send([snap(1, 2, 42)]);
    await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1);
    expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
    expect(sink.received.map((r) => r.outcome)).toEqual(['aborted', 'committed']);
    expect(sink.received[0]!.abortReason).toContain('disk full');
    expect(sink.received[1]!.sha256).toBe(generatedDigest(5 * MiB, MiB));
    expect(source.opened).toBe(2);
    expect(source.closed).toBe(2);
    const s = peerStats(a, 2);
    expect(s.snapshotSendFailures).toBe(1);
    expect(s.snapshotsSent).toBe(1);
    expect(peerStats(b, 1).snapshotReceiveFailures).toBe(1);
    await waitFor('Snap delivery', () => b.inbox.messages.length === 1);
  });

  describe('when the connection breaks mid-transfer', () => {
    /**
     * Member 2 on a server of its own that the test can kill (force
     * shutdown: connections are dropped, no status is sent) and bring back
     * on the same port.
     */
    async function killableReceiver(sink: HashingSink, peers: { id: number; address: string }[]) {
      const { handler, inbox } = recordingHandler();
      const transport = new GrpcTransport({ id: 2, clusterId: 7, handler, peers, snapshotSink: sink });
      const serve = async (port: number): Promise<{ server: grpc.Server; port: number }> => {
        const server = new grpc.Server(transport.serverOptions());
        transport.register(server);
        const bound = await new Promise<number>((resolve, reject) =>
          server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
        );
        return { server, port: bound };
      };
      return { transport, inbox, serve };
    }

    it('reports the broken attempt, and a retry to the restarted receiver succeeds', async () => {
      const logger = recordingLogger();
      const a = await startMember(1, { snapshotSource: generatedSource(6 * MiB, 256 * 1024), snapshotChunkBytes: 256 * 1024, snapshotAttempts: 5, logger });
      members = [a];
      let killAt: (() => void) | undefined;
      const killed = new Promise<void>((resolve) => (killAt = resolve));
      const sink = new HashingSink({ onWrite: (transfer, chunks) => transfer === 1 && chunks === 3 && killAt!() });
      const b = await killableReceiver(sink, [{ id: 1, address: a.address }]);
      const first = await b.serve(0);
      const port = first.port;
      let server = first.server;
      a.transport.setPeer({ id: 2, address: `127.0.0.1:${port}` });
      try {
        a.transport.send([snap(1, 2, 42)]);
        await killed;
        server.forceShutdown();
        await waitFor('the broken attempt', () => peerStats(a, 2).snapshotSendFailures >= 1);
        expect(a.inbox.snapshotStatus).toEqual([]);
        await delay(50);
        ({ server } = await b.serve(port));

        await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1, 20_000);
        expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
        const failures = logger.lines.filter((l) => l.message === 'snapshot transfer failed');
        expect(failures.length).toBeGreaterThanOrEqual(1);
        expect(failures[0]!.fields).toMatchObject({ to: 2, index: 42, attempt: 1 });
        const s = peerStats(a, 2);
        expect(s.snapshotsSent).toBe(1);
        expect(s.snapshotSendFailures).toBe(failures.length);
        // The first transfer was aborted when its call broke; the retry arrived whole.
        expect(sink.received[0]!.outcome).toBe('aborted');
        expect(sink.received.filter((r) => r.outcome === 'committed').map((r) => r.sha256)).toEqual([generatedDigest(6 * MiB, 256 * 1024)]);
        await waitFor('Snap delivery', () => b.inbox.messages.length === 1);
        expect(b.inbox.messages[0]!.snapshot!.metadata.index).toBe(42);
        expect(b.transport.stats().peers.find((p) => p.id === 1)).toMatchObject({ snapshotsReceived: 1, snapshotReceiveFailures: 1 });
      } finally {
        await b.transport.close();
        server.forceShutdown();
      }
    });

    it('reports failure when the receiver stays away, and a later send succeeds once it is back', async () => {
      const a = await startMember(1, { snapshotSource: generatedSource(4 * MiB, 256 * 1024), snapshotChunkBytes: 256 * 1024, snapshotAttempts: 2 });
      members = [a];
      let killAt: (() => void) | undefined;
      const killed = new Promise<void>((resolve) => (killAt = resolve));
      const sink = new HashingSink({ onWrite: (transfer, chunks) => transfer === 1 && chunks === 2 && killAt!() });
      const b = await killableReceiver(sink, [{ id: 1, address: a.address }]);
      const first = await b.serve(0);
      const port = first.port;
      let server = first.server;
      a.transport.setPeer({ id: 2, address: `127.0.0.1:${port}` });
      try {
        a.transport.send([snap(1, 2, 42)]);
        await killed;
        server.forceShutdown();
        await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1);
        expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: false }]);
        expect(peerStats(a, 2).snapshotSendFailures).toBe(2);
        expect(b.inbox.messages).toEqual([]);

        ({ server } = await b.serve(port));
        a.transport.send([snap(1, 2, 42)]);
        await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 2, 20_000);
        expect(a.inbox.snapshotStatus[1]).toEqual({ peer: 2, ok: true });
        await waitFor('Snap delivery', () => b.inbox.messages.length === 1);
        expect(sink.received.at(-1)!.sha256).toBe(generatedDigest(4 * MiB, 256 * 1024));
      } finally {
        await b.transport.close();
        server.forceShutdown();
      }
    });
  });

  it('reports failure after the last attempt when the receiver takes no snapshots', async () => {
    members = await pair({ snapshotAttempts: 2 }, {});
    const [a, b] = members as [Member, Member];
    a.transport.send([snap(1, 2, 7, new Uint8Array(10))]);
    await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1);
    expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: false }]);
    expect(peerStats(a, 2).snapshotSendFailures).toBe(2);
    expect(b.inbox.messages).toEqual([]);
  });

  it('abandons a transfer the receiver stops taking, after the stall timeout', async () => {
    const stuck = {
      begin: () => ({
        write: () => new Promise<void>(() => {}),
        commit: () => undefined,
        abort: () => undefined,
      }),
    };
    members = await pair({ snapshotAttempts: 1, snapshotStallTimeoutMs: 300 }, { snapshotSink: stuck });
    const [a] = members as [Member, Member];
    a.transport.send([snap(1, 2, 7, new Uint8Array(3 * MiB))]);
    await waitFor('snapshot status', () => a.inbox.snapshotStatus.length === 1, 10_000);
    expect(a.inbox.snapshotStatus).toEqual([{ peer: 2, ok: false }]);
  });
});
