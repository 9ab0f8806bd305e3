import { ConfChangeTransition, ConfChangeType } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../kv/table.js';
import { applyMembershipChange, encodeMemberContext, isRemoved, listMembers, readMember, removedIds } from './registry.js';

const change = (type: ConfChangeType, nodeId: number, peer?: string) => ({
  transition: ConfChangeTransition.Auto,
  changes: [{ type, nodeId }],
  context: peer === undefined ? new Uint8Array() : encodeMemberContext({ peerUrls: [peer] }),
});

describe('member registry', () => {
  it('records a removed member\'s id for good, and forgets its addresses', () => {
    const table = new MemoryTable();
    applyMembershipChange(table, change(ConfChangeType.AddLearner, 4, '127.0.0.1:4380'));
    applyMembershipChange(table, change(ConfChangeType.AddVoter, 4));
    expect(isRemoved(table, 4)).toBe(false);
    expect(readMember(table, 4)?.peerUrls).toEqual(['127.0.0.1:4380']);

    applyMembershipChange(table, change(ConfChangeType.RemoveNode, 4));
    expect(readMember(table, 4)).toBeUndefined();
    expect(isRemoved(table, 4)).toBe(true);
    // A founding member the registry never recorded is removed as well.
    applyMembershipChange(table, change(ConfChangeType.RemoveNode, 2));
    expect(removedIds(table)).toEqual([2, 4]);
    expect(isRemoved(table, 3)).toBe(false);
    // The removed ids are no members: the member list does not see them.
    expect(listMembers(table)).toEqual([]);
  });

  it('records every removal of a change that carries several', () => {
    const table = new MemoryTable();
    applyMembershipChange(table, {
      transition: ConfChangeTransition.JointExplicit,
      changes: [
        { type: ConfChangeType.RemoveNode, nodeId: 1 },
        { type: ConfChangeType.AddVoter, nodeId: 9 },
        { type: ConfChangeType.RemoveNode, nodeId: 1_000_000_007 },
      ],
      context: new Uint8Array(),
    });
    expect(removedIds(table)).toEqual([1, 1_000_000_007]);
    expect(isRemoved(table, 9)).toBe(false);
  });
});
