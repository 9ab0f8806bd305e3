import { parseNodeConfig } from '@raftkit/config';
import { ConfChangeTransition, ConfChangeType } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../kv/table.js';
import { MemberDirectory } from './directory.js';
import { applyMemberAttributes, applyMembershipChange, encodeMemberContext } from './registry.js';

const members = [
  { id: 1, peer: '127.0.0.1:1380' },
  { id: 2, peer: '127.0.0.1:2380' },
  { id: 3, peer: '127.0.0.1:3380' },
];

const byId = (dir: MemberDirectory) => dir.peerAddresses().sort((a, b) => a.id - b.id);

function update(table: MemoryTable, id: number, peer: string): void {
  applyMembershipChange(table, {
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.UpdateNode, nodeId: id }],
    context: encodeMemberContext({ peerUrls: [peer] }),
  });
}

describe('MemberDirectory', () => {
  it('dials the configured members until the registry records an address, then the registry\'s', () => {
    const table = new MemoryTable();
    const dir = new MemberDirectory(parseNodeConfig({ id: 1, members }), () => table);
    expect(byId(dir)).toEqual([
      { id: 2, address: '127.0.0.1:2380' },
      { id: 3, address: '127.0.0.1:3380' },
    ]);
    // A member publishing its client addresses records no peer address: the list still seeds it.
    applyMemberAttributes(table, { id: 3, clientUrls: ['127.0.0.1:3379'] });
    expect(dir.peerAddresses()).toContainEqual({ id: 3, address: '127.0.0.1:3380' });
    // `member update --peer` moves it for every member, whatever their lists say.
    update(table, 3, '127.0.0.1:4380');
    expect(byId(dir)).toEqual([
      { id: 2, address: '127.0.0.1:2380' },
      { id: 3, address: '127.0.0.1:4380' },
    ]);
    // member list and the transport agree.
    expect(dir.info(3).peerUrls).toEqual(['127.0.0.1:4380']);
    // A member added later is known from the registry alone.
    applyMembershipChange(table, {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
      context: encodeMemberContext({ peerUrls: ['http://127.0.0.1:5380'] }),
    });
    expect(dir.peerAddresses()).toContainEqual({ id: 4, address: '127.0.0.1:5380' });
  });

  it('dials a peer at its local override, whatever the registry records', () => {
    const table = new MemoryTable();
    const config = parseNodeConfig({ id: 1, members, peerAddressOverrides: [{ id: 3, peer: '10.8.0.3:2380' }] });
    const dir = new MemberDirectory(config, () => table);
    expect(dir.peerAddresses()).toContainEqual({ id: 3, address: '10.8.0.3:2380' });
    update(table, 3, '127.0.0.1:4380');
    expect(dir.peerAddresses()).toContainEqual({ id: 3, address: '10.8.0.3:2380' });
    // The cluster's record is what member list shows.
    expect(dir.info(3).peerUrls).toEqual(['127.0.0.1:4380']);
  });
});
