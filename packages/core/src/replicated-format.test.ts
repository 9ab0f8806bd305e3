import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from './confchange/codec.js';
import { type ConfChange, ConfChangeTransition, ConfChangeType } from './confchange/types.js';
import { decodeProposal, encodeProposal } from './node/proposal-codec.js';
import { CAMPAIGN_TRANSFER_CONTEXT } from './raft.js';
import { EMPTY_BYTES } from './types.js';

/*
 * Scenario 31, rolling upgrade (after hashicorp/raft-compat's RollingUpgrade
 * and openraft's t10_wire_compat_09): the core writes bytes of its own into
 * log entries and messages, which members of two versions must read alike
 * while a cluster is upgraded one member at a time: the proposal envelope
 * RaftNode puts around every proposal, the encoding of a membership change,
 * and the context that marks the vote of a leadership transfer. These tests
 * pin them.
 *
 * WHEN A TEST HERE FAILS: entries or messages written by this version would
 * be misread by the previous one (or the reverse). If the change is
 * deliberate, bump the codec's version byte, keep decoding the old version,
 * and write the new one only once every member reads it; then update the
 * fixture. Otherwise revert the change.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16)));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const CHANGED = 'a format the core writes into the log changed; see the comment at the top of replicated-format.test.ts (version it with an upgrade path, or revert)';

describe('scenario 31 (rolling upgrade): the proposal envelope is byte-for-byte stable', () => {
  // version (1) | member id (f64) | epoch (u32) | sequence (u32) | payload
  const GOLDEN = [
    { id: { member: 1, epoch: 1_700_000_000, seq: 1 }, payload: text('put'), bytes: '01' + '3ff0000000000000' + '6553f100' + '00000001' + '707574' },
    { id: { member: 2 ** 40 + 3, epoch: 2 ** 32 - 1, seq: 2 ** 32 - 1 }, payload: EMPTY_BYTES, bytes: '01' + '4270000000003000' + 'ffffffff' + 'ffffffff' },
  ];

  it.each(GOLDEN)('wraps the proposal $id.seq of member $id.member as committed, and unwraps it', ({ id, payload, bytes }) => {
    expect(toHex(encodeProposal(id, payload)), CHANGED).toBe(bytes);
    const decoded = decodeProposal(hex(bytes));
    expect(decoded.id).toEqual(id);
    expect(toHex(decoded.payload)).toBe(toHex(payload));
  });

  it('refuses an envelope of another version, naming it', () => {
    expect(() => decodeProposal(hex('02' + '3ff0000000000000' + '6553f100' + '00000001'))).toThrow('(version byte 2, expected 1)');
  });
});

describe('scenario 31 (rolling upgrade): the membership change encoding is byte-for-byte stable', () => {
  // version (1) | transition (1) | change count (varint) | per change: type (1), member id (varint) | context length (varint) | context
  const GOLDEN: Array<{ name: string; cc: ConfChange; bytes: string }> = [
    {
      name: 'add a voter, with a proposal envelope as context (as RaftNode proposes it)',
      cc: {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.AddVoter, nodeId: 4 }],
        context: hex('01' + '3ff0000000000000' + '6553f100' + '00000002' + '7b7d'),
      },
      bytes: '01' + '00' + '01' + '0004' + '13' + '013ff00000000000006553f100000000027b7d',
    },
    {
      name: 'an explicit joint change of every type',
      cc: {
        transition: ConfChangeTransition.JointExplicit,
        changes: [
          { type: ConfChangeType.AddVoter, nodeId: 300 },
          { type: ConfChangeType.RemoveNode, nodeId: 2 },
          { type: ConfChangeType.AddLearner, nodeId: 2 ** 40 + 3 },
          { type: ConfChangeType.UpdateNode, nodeId: 5 },
        ],
        context: EMPTY_BYTES,
      },
      bytes: '01' + '02' + '04' + '00ac02' + '0102' + '02838080808020' + '0305' + '00',
    },
    {
      name: 'an implicit joint change',
      cc: { transition: ConfChangeTransition.JointImplicit, changes: [{ type: ConfChangeType.AddLearner, nodeId: 6 }, { type: ConfChangeType.AddVoter, nodeId: 7 }], context: text('x') },
      bytes: '01' + '01' + '02' + '0206' + '0007' + '01' + '78',
    },
  ];

  it.each(GOLDEN)('encodes $name as committed, and decodes it', ({ cc, bytes }) => {
    expect(toHex(encodeConfChange(cc)), CHANGED).toBe(bytes);
    const decoded = decodeConfChange(hex(bytes));
    expect({ ...decoded, context: toHex(decoded.context) }).toEqual({ ...cc, context: toHex(cc.context) });
  });

  it('reads empty data as leaving the joint configuration', () => {
    expect(decodeConfChange(EMPTY_BYTES)).toEqual({ transition: ConfChangeTransition.Auto, changes: [], context: EMPTY_BYTES });
  });

  it('refuses an encoding of another version, naming it', () => {
    expect(() => decodeConfChange(hex('02000000'))).toThrow('unknown version 2, expected 1');
  });
});

describe('scenario 31 (rolling upgrade): the leadership transfer marker of votes is stable', () => {
  it('is the bytes of "CampaignTransfer"', () => {
    // A vote carrying it is granted even inside the leader lease; a member that does not recognize it refuses the transfer's vote.
    expect(toHex(CAMPAIGN_TRANSFER_CONTEXT), CHANGED).toBe('43616d706169676e5472616e73666572');
  });
});
