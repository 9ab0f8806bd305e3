import { afterEach, describe, expect, it } from 'vitest';
import { type Member, delay, heartbeat, peerStats, recordingLogger, startMember, stopAll, waitFor } from './support/harness.js';

describe('reconnecting', () => {
  let members: Member[] = [];
  afterEach(async () => {
    await stopAll(members);
    members = [];
  });

  it('reports a restarted peer unreachable, backs off, reconnects and delivers in order again', async () => {
    const logger = recordingLogger();
    const a = await startMember(1, { logger, rejectLogIntervalMs: 1, backoff: { initialMs: 20, maxMs: 160 } });
    let b = await startMember(2);
    members.push(a, b);
    a.transport.setPeer({ id: 2, address: b.address });
    b.transport.setPeer({ id: 1, address: a.address });
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('first delivery', () => b.inbox.messages.length === 1);
    await waitFor('connection', () => peerStats(a, 2).connected);

    // Member 2 goes down.
    await b.transport.close();
    await waitFor('unreachable report', () => a.inbox.unreachable.includes(2));
    expect(peerStats(a, 2).connected).toBe(false);
    // While it is down, messages are dropped and counted (at once between
    // attempts, when the attempt fails during one), never kept for later.
    const droppedBefore = peerStats(a, 2).dropped;
    a.transport.send([heartbeat(1, 2, 100), heartbeat(1, 2, 101)]);
    await waitFor('drops while down', () => peerStats(a, 2).dropped === droppedBefore + 2);
    // Let several reconnect attempts fail so the backoff climbs to its cap.
    await delay(600);
    const retries = logger.lines
      .filter((l) => l.message === 'message stream to peer ended')
      .map((l) => l.fields!.retryInMs as number);
    expect(retries.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...retries)).toBeLessThanOrEqual(160);
    expect(retries.at(-1)).toBeGreaterThanOrEqual(80);

    // It comes back on the same address.
    b = await startMember(2, {}, b.port);
    members.push(b);
    b.transport.setPeer({ id: 1, address: a.address });
    await waitFor('reconnection', () => peerStats(a, 2).connected, 5000);
    expect(peerStats(a, 2).reconnects).toBe(1);
    for (let i = 1; i <= 100; i++) a.transport.send([heartbeat(1, 2, i)]);
    await waitFor('delivery after restart', () => b.inbox.messages.length === 100);
    expect(b.inbox.messages.map((m) => m.commit)).toEqual(Array.from({ length: 100 }, (_, k) => k + 1));
  });

  it('keeps retrying a peer that was never up and connects once it starts', async () => {
    const a = await startMember(1);
    members.push(a);
    // Reserve a free port, then free it, so nothing listens there yet.
    const probe = await startMember(2);
    const port = probe.port;
    await probe.transport.close();
    a.transport.setPeer({ id: 2, address: `127.0.0.1:${port}` });
    await waitFor('unreachable report', () => a.inbox.unreachable.includes(2));
    const b = await startMember(2, {}, port);
    members.push(b);
    b.transport.setPeer({ id: 1, address: a.address });
    await waitFor('first connection', () => peerStats(a, 2).connected, 5000);
    expect(peerStats(a, 2).reconnects).toBe(0);
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('delivery', () => b.inbox.messages.length === 1);
  });
});
