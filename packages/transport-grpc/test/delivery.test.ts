import { EntryType, MessageType, message } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportUsageError } from '../src/index.js';
import { type Member, app, heartbeat, peerStats, startCluster, startMember, stopAll, waitFor } from './support/harness.js';

describe('message delivery on loopback', () => {
  let members: Member[] = [];
  afterEach(async () => {
    await stopAll(members);
    members = [];
  });

  it('delivers every message between each ordered pair, in order, across many turns', async () => {
    members = await startCluster(3);
    const perPair = 300;
    for (let i = 1; i <= perPair; i++) {
      for (const from of members) {
        from.transport.send(members.filter((m) => m !== from).map((to) => heartbeat(from.id, to.id, i)));
      }
      // Spread sends over many event-loop turns, as a Raft driver does.
      if (i % 25 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor('all messages', () => members.every((m) => m.inbox.messages.length === 2 * perPair));
    for (const to of members) {
      for (const from of members.filter((m) => m !== to)) {
        const commits = to.inbox.messages.filter((m) => m.from === from.id).map((m) => m.commit);
        expect(commits).toEqual(Array.from({ length: perPair }, (_, k) => k + 1));
      }
      expect(to.inbox.messages.every((m) => m.to === to.id && m.type === MessageType.Heartbeat)).toBe(true);
    }
    const s = peerStats(members[0]!, 2);
    expect(s.sent).toBe(perPair);
    expect(s.dropped).toBe(0);
    expect(peerStats(members[1]!, 1).received).toBe(perPair);
  });

  it('carries every field and entry byte unchanged', async () => {
    members = await startCluster(2);
    const [a, b] = members as [Member, Member];
    const sent = message({
      type: MessageType.App,
      from: 1,
      to: 2,
      term: 9,
      logTerm: 8,
      index: 2 ** 40,
      commit: 2 ** 40 - 1,
      reject: true,
      rejectHint: 77,
      context: new Uint8Array([1, 2, 3]),
      entries: [
        { term: 8, index: 2 ** 40 + 1, type: EntryType.ConfChange, data: new Uint8Array([5, 6]) },
        { term: 9, index: 2 ** 40 + 2, type: EntryType.Normal, data: new Uint8Array(0) },
      ],
    });
    a.transport.send([sent]);
    await waitFor('the message', () => b.inbox.messages.length === 1);
    const got = b.inbox.messages[0]!;
    expect({ ...got, context: [...got.context], entries: got.entries.map((e) => ({ ...e, data: [...e.data] })) }).toEqual({
      ...sent,
      snapshot: undefined,
      context: [1, 2, 3],
      entries: [
        { term: 8, index: 2 ** 40 + 1, type: EntryType.ConfChange, data: [5, 6] },
        { term: 9, index: 2 ** 40 + 2, type: EntryType.Normal, data: [] },
      ],
    });
  });

  it('coalesces the messages of one event-loop turn into one frame', async () => {
    members = await startCluster(2);
    const [a, b] = members as [Member, Member];
    await waitFor('connection', () => peerStats(a, 2).connected);
    for (let i = 1; i <= 50; i++) a.transport.send([heartbeat(1, 2, i)]);
    await waitFor('50 messages', () => b.inbox.messages.length === 50);
    expect(b.inbox.batches).toEqual([50]);
    expect(peerStats(a, 2).sentFrames).toBe(1);
  });

  it('splits a turn that exceeds the frame limit into several frames, keeping the order', async () => {
    members = await startCluster(2, { maxMessageBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024 });
    const [a, b] = members as [Member, Member];
    const msgs = Array.from({ length: 100 }, (_, i) => app(1, 2, i * 4, 4, 1024));
    a.transport.send(msgs);
    await waitFor('100 appends', () => b.inbox.messages.length === 100);
    expect(b.inbox.messages.map((m) => m.index)).toEqual(msgs.map((m) => m.index));
    expect(b.inbox.batches.length).toBeGreaterThanOrEqual(7);
    expect(Math.max(...b.inbox.batches)).toBeLessThanOrEqual(15);
    expect(b.inbox.messages[99]!.entries[3]!.data).toEqual(msgs[99]!.entries[3]!.data);
  });

  it('drops a single message larger than the frame limit and reports the peer unreachable', async () => {
    members = await startCluster(2, { maxMessageBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024 });
    const [a, b] = members as [Member, Member];
    a.transport.send([app(1, 2, 0, 1, 70 * 1024), heartbeat(1, 2, 1)]);
    await waitFor('the heartbeat', () => b.inbox.messages.length === 1);
    expect(b.inbox.messages[0]!.type).toBe(MessageType.Heartbeat);
    expect(peerStats(a, 2).dropped).toBe(1);
    expect(a.inbox.unreachable).toContain(2);
  });

  it('reports a message to a member without an address as unreachable, later, without throwing', async () => {
    members = [await startMember(1)];
    const a = members[0]!;
    a.transport.send([heartbeat(1, 9, 1)]);
    expect(a.inbox.unreachable).toEqual([]);
    await waitFor('unreachable report', () => a.inbox.unreachable.includes(9));
  });

  it('refuses local message types and messages from another member as caller bugs', async () => {
    members = [await startMember(1)];
    const t = members[0]!.transport;
    expect(() => t.send([message({ type: MessageType.Hup, from: 1, to: 2 })])).toThrow(TransportUsageError);
    expect(() => t.send([message({ type: MessageType.Beat, from: 1, to: 2 })])).toThrow(/Beat message: that type never leaves a member/);
    expect(() => t.send([heartbeat(3, 2, 1)])).toThrow(/from member 3; this transport is member 1/);
  });

  it('follows a peer to a new address and serves members added at runtime', async () => {
    members = await startCluster(2);
    const [a, b] = members as [Member, Member];
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('first message', () => b.inbox.messages.length === 1);

    // Member 2 moves: a new process on a new port.
    await b.transport.close();
    const moved = await startMember(2);
    members.push(moved);
    moved.transport.setPeer({ id: 1, address: a.address });
    a.transport.setPeer({ id: 2, address: moved.address });
    await waitFor('connection to the new address', () => peerStats(a, 2).connected);
    a.transport.send([heartbeat(1, 2, 2)]);
    await waitFor('message at the new address', () => moved.inbox.messages.length === 1);
    expect(moved.inbox.messages[0]!.commit).toBe(2);
    expect(peerStats(a, 2).address).toBe(moved.address);

    // Member 3 joins.
    const c = await startMember(3);
    members.push(c);
    c.transport.setPeer({ id: 1, address: a.address });
    a.transport.setPeer({ id: 3, address: c.address });
    a.transport.send([heartbeat(1, 3, 5)]);
    c.transport.send([heartbeat(3, 1, 6)]);
    await waitFor('messages with the new member', () => c.inbox.messages.length === 1 && a.inbox.messages.length === 1);
    expect(a.transport.peerIds().sort()).toEqual([2, 3]);
  });

  it('refuses frames from a removed member', async () => {
    members = await startCluster(2);
    const [a, b] = members as [Member, Member];
    b.transport.send([heartbeat(2, 1, 1)]);
    await waitFor('first message', () => a.inbox.messages.length === 1);
    a.transport.removePeer(2);
    expect(a.transport.peerIds()).toEqual([]);
    b.transport.send([heartbeat(2, 1, 2)]);
    await waitFor('refusal', () => a.transport.stats().rejectedUnattributed >= 1);
    await waitFor('sender notices', () => b.inbox.unreachable.includes(1));
    expect(a.inbox.messages.length).toBe(1);
  });
});
