import { EntryType, MessageType, message } from '@raftkit/core';
import { raftv1 } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { MalformedMessageError, fromWire, messageSizeBound, toWire, withoutSnapshotData } from './convert.js';

/** CoreName -> CORE_NAME, the name ts-proto gives the same enum value. */
const upperSnake = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

function numericMembers(e: Record<string, string | number>): [string, number][] {
  return Object.entries(e).filter((kv): kv is [string, number] => typeof kv[1] === 'number');
}

describe('core and wire enums', () => {
  it('number every MessageType alike', () => {
    const core = numericMembers(MessageType as unknown as Record<string, number>);
    const wire = numericMembers(raftv1.MessageType as unknown as Record<string, number>);
    expect(core).toHaveLength(19);
    expect(core.map(([name, n]) => [upperSnake(name), n])).toEqual(wire);
  });

  it('number every EntryType alike', () => {
    const core = numericMembers(EntryType as unknown as Record<string, number>);
    const wire = numericMembers(raftv1.EntryType as unknown as Record<string, number>);
    expect(core.map(([name, n]) => [upperSnake(name), n])).toEqual(wire);
  });
});

describe('toWire / fromWire', () => {
  const sample = message({
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 5,
    logTerm: 4,
    index: 100,
    commit: 99,
    rejectHint: 3,
    context: new Uint8Array([9]),
    entries: [
      { term: 5, index: 101, type: EntryType.Normal, data: new Uint8Array([1, 2]) },
      { term: 5, index: 102, type: EntryType.ConfChange, data: new Uint8Array([3]) },
    ],
  });

  it('converts without copying', () => {
    expect(toWire(sample)).toBe(sample);
  });

  it('round-trips every field through the protobuf encoding', () => {
    const decoded = raftv1.Message.decode(raftv1.Message.encode(toWire(sample)).finish());
    const back = fromWire(decoded, 1, 2, false);
    expect(back).toEqual({ ...sample, snapshot: undefined });
  });

  it('round-trips a Snap header with its membership and without its bytes', () => {
    const snap = message({
      type: MessageType.Snap,
      from: 1,
      to: 2,
      term: 3,
      snapshot: {
        metadata: { index: 50, term: 2, confState: { voters: [1, 2], learners: [3], votersOutgoing: [4], learnersNext: [3], autoLeave: true } },
        data: new Uint8Array(1000),
      },
    });
    const header = withoutSnapshotData(snap);
    expect(header.snapshot!.data.length).toBe(0);
    expect(snap.snapshot!.data.length).toBe(1000);
    const back = fromWire(raftv1.Message.decode(raftv1.Message.encode(toWire(header)).finish()), 1, 2, true);
    expect(back.snapshot!.metadata).toEqual(snap.snapshot!.metadata);
  });

  it('fills in an absent membership of a Snap message', () => {
    const wire = raftv1.Message.fromPartial({ type: raftv1.MessageType.SNAP, from: 1, to: 2, snapshot: { metadata: { index: 5, term: 1 } } });
    expect(fromWire(wire, 1, 2, true).snapshot!.metadata.confState).toEqual({
      voters: [],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
  });

  it.each([
    [{ type: 19 }, 'message type 19 is unknown; expected 0..18'],
    [{ type: raftv1.MessageType.CHECK_QUORUM }, 'message type CheckQuorum is local to a member and never travels'],
    [{ from: 3 }, 'message from member 3 inside a frame from member 1'],
    [{ to: 3 }, 'message to member 3 inside a frame to member 2'],
    [{ type: raftv1.MessageType.SNAP }, 'a Snap message arrived on the message stream; snapshots travel through InstallSnapshot'],
    [{ snapshot: { metadata: undefined, data: new Uint8Array() } }, 'a Heartbeat message carries a snapshot; only Snap messages may'],
    [{ entries: [{ term: 1, index: 1, type: 2, data: new Uint8Array() }] }, 'entry 0 has type 2; expected 0 (normal) or 1 (conf change)'],
  ] as const)('refuses %j: %s', (fields, problem) => {
    const wire = raftv1.Message.fromPartial({ type: raftv1.MessageType.HEARTBEAT, from: 1, to: 2, ...fields } as raftv1.Message);
    expect(() => fromWire(wire, 1, 2, false)).toThrow(new MalformedMessageError(problem));
  });

  it('refuses a Snap message without metadata even where snapshots are allowed', () => {
    const wire = raftv1.Message.fromPartial({ type: raftv1.MessageType.SNAP, from: 1, to: 2 });
    expect(() => fromWire(wire, 1, 2, true)).toThrow('Snap message without snapshot metadata');
  });
});

describe('messageSizeBound', () => {
  it('is never below the encoded size, even with every number at its widest', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const wide = message({
      type: MessageType.PreVoteResp,
      from: max,
      to: max,
      term: max,
      logTerm: max,
      index: max,
      commit: max,
      reject: true,
      rejectHint: max,
      context: new Uint8Array(300),
      entries: Array.from({ length: 50 }, (_, i) => ({ term: max, index: max, type: EntryType.ConfChange, data: new Uint8Array(i * 40) })),
    });
    const encoded = raftv1.SendMessagesRequest.encode({ clusterId: 0, from: 0, to: 0, messages: [toWire(wide)] }).finish().length;
    expect(messageSizeBound(wide)).toBeGreaterThanOrEqual(encoded);
    // ...and not wildly above it for ordinary messages.
    const small = message({ type: MessageType.App, from: 1, to: 2, term: 1, entries: [{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array(128) }] });
    const smallEncoded = raftv1.SendMessagesRequest.encode({ clusterId: 0, from: 0, to: 0, messages: [toWire(small)] }).finish().length;
    expect(messageSizeBound(small)).toBeLessThan(smallEncoded + 160);
  });
});
