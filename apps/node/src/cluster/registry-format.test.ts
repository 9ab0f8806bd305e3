import { ConfChangeTransition, ConfChangeType } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../kv/table.js';
import { applyMemberAttributes, applyMembershipChange, encodeMemberContext, isRemoved, listMembers, removedIds } from './registry.js';

/*
 * Scenario 31, rolling upgrade (after hashicorp/raft-compat's RollingUpgrade
 * and openraft's t10_wire_compat_09): the member registry lives in the
 * replicated state and changes through the contexts of membership changes,
 * so members of two versions must write the same records from the same
 * entries and read each other's. These tests pin the context a membership
 * change carries and the registry's records.
 *
 * WHEN A TEST HERE FAILS: the replicated registry format changed, so a member
 * of the previous version would record or read members differently. If the
 * change is deliberate, keep reading the old records and contexts, write the
 * new ones only once every member runs the new version, and note the upgrade
 * path; then update the fixture. Otherwise revert the change.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const CHANGED = 'the replicated member registry format changed; see the comment at the top of registry-format.test.ts (a deliberate change needs a gated upgrade path; otherwise revert)';

const CONTEXT = '{"name":"n4","peerUrls":["10.0.0.4:2380"],"clientUrls":["10.0.0.4:2379"]}';

// 0x03 | member id (f64) → JSON MemberInfo; 0x05 | member id (f64) → 0x01 (removed for good).
const RECORDS: Array<[string, string]> = [
  ['03' + '4010000000000000', toHex(text('{"id":4,"name":"n4","peerUrls":["10.0.0.4:2380"],"clientUrls":["https://n4:2379"]}'))],
  ['03' + '4014000000000000', toHex(text('{"id":5,"name":"","peerUrls":["10.0.0.5:2380"],"clientUrls":[]}'))],
  ['05' + '4000000000000000', '01'],
];

describe('scenario 31 (rolling upgrade): the member registry is byte-for-byte stable', () => {
  it('encodes the context of a membership change as committed', () => {
    expect(Buffer.from(encodeMemberContext({ name: 'n4', peerUrls: ['10.0.0.4:2380'], clientUrls: ['10.0.0.4:2379'] })).toString(), CHANGED).toBe(CONTEXT);
  });

  it('writes the committed records from membership changes and published attributes', () => {
    const table = new MemoryTable();
    const cc = (type: ConfChangeType, nodeId: number, context: string) => ({ transition: ConfChangeTransition.Auto, changes: [{ type, nodeId }], context: text(context) });
    applyMembershipChange(table, cc(ConfChangeType.AddLearner, 4, CONTEXT));
    applyMembershipChange(table, cc(ConfChangeType.AddVoter, 4, ''));
    applyMemberAttributes(table, { id: 4, clientUrls: ['https://n4:2379'] });
    applyMembershipChange(table, cc(ConfChangeType.AddVoter, 5, '{"peerUrls":["10.0.0.5:2380"]}'));
    applyMembershipChange(table, cc(ConfChangeType.AddVoter, 2, ''));
    applyMembershipChange(table, cc(ConfChangeType.RemoveNode, 2, ''));
    expect(Array.from(table.range({}), (r) => [toHex(r.key), toHex(r.value)]), CHANGED).toEqual(RECORDS);
  });

  it('reads the committed records', () => {
    const table = new MemoryTable();
    for (const [k, v] of RECORDS) table.put(hex(k), hex(v));
    expect(listMembers(table)).toEqual([
      { id: 4, name: 'n4', peerUrls: ['10.0.0.4:2380'], clientUrls: ['https://n4:2379'] },
      { id: 5, name: '', peerUrls: ['10.0.0.5:2380'], clientUrls: [] },
    ]);
    expect(removedIds(table)).toEqual([2]);
    expect(isRemoved(table, 2)).toBe(true);
  });
});
