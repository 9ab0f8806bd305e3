import { parseNodeConfig } from '@raftkit/config';
import { ConfChangeTransition, ConfChangeType, type ConfState } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { MemoryTable } from '../kv/table.js';
import { MemberDirectory } from './directory.js';
import { applyMemberAttributes, applyMembershipChange, encodeMemberContext } from './registry.js';

const members = [
  { id: 1, peer: '127.0.0.1:1380' },
  { id: 2, peer: '127.0.0.1:2380' },
  { id: 3, peer: '127.0.0.1:3380' },
];

const confState = (voters: number[], learners: number[] = []): ConfState => ({ voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false });
const founders = confState([1, 2, 3]);
const byId = (dir: MemberDirectory, cs = founders) => dir.peerAddresses(cs);

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
    expect(dir.peerAddresses(founders)).toContainEqual({ id: 3, address: '127.0.0.1:3380' });
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
    expect(dir.peerAddresses(confState([1, 2, 3], [4]))).toContainEqual({ id: 4, address: '127.0.0.1:5380' });
  });

  it('dials a peer at its local override, whatever the registry records', () => {
    const table = new MemoryTable();
    const config = parseNodeConfig({ id: 1, members, peerAddressOverrides: [{ id: 3, peer: '10.8.0.3:2380' }] });
    const dir = new MemberDirectory(config, () => table);
    expect(dir.peerAddresses(founders)).toContainEqual({ id: 3, address: '10.8.0.3:2380' });
    update(table, 3, '127.0.0.1:4380');
    expect(dir.peerAddresses(founders)).toContainEqual({ id: 3, address: '10.8.0.3:2380' });
    // The cluster's record is what member list shows.
    expect(dir.info(3).peerUrls).toEqual(['127.0.0.1:4380']);
  });

  it('dials only the voters and learners of the configuration, not members removed from it', () => {
    const table = new MemoryTable();
    const config = parseNodeConfig({ id: 1, members, peerAddressOverrides: [{ id: 2, peer: '10.8.0.2:2380' }] });
    const dir = new MemberDirectory(config, () => table);
    applyMembershipChange(table, {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
      context: encodeMemberContext({ peerUrls: ['127.0.0.1:5380'] }),
    });
    expect(byId(dir, confState([1, 2, 3], [4])).map((p) => p.id)).toEqual([2, 3, 4]);
    // 2 and 3 removed: the member list and the override still name them, but they are not dialed.
    expect(byId(dir, confState([1, 4]))).toEqual([{ id: 4, address: '127.0.0.1:5380' }]);
    // A joint configuration's outgoing voters are members until it is left.
    expect(byId(dir, { ...confState([1, 4]), votersOutgoing: [1, 3] }).map((p) => p.id)).toEqual([3, 4]);
    // A member of the configuration with no known address cannot be dialed.
    expect(byId(dir, confState([1, 9]))).toEqual([]);
  });

  it('dials the members it was configured with while it has not learned the configuration (joining empty)', () => {
    const dir = new MemberDirectory(parseNodeConfig({ id: 4, members: [...members, { id: 4, peer: '127.0.0.1:4380' }], clusterState: 'existing' }), () => new MemoryTable());
    expect(byId(dir, confState([])).map((p) => p.id)).toEqual([1, 2, 3]);
  });

  it('adds, re-addresses and removes transport peers to match the configuration', () => {
    const table = new MemoryTable();
    const dir = new MemberDirectory(parseNodeConfig({ id: 1, members }), () => table);
    const peers = new Map<number, string>();
    const transport = {
      peerIds: () => [...peers.keys()],
      setPeer: (p: { id: number; address: string }) => void peers.set(p.id, p.address),
      removePeer: (id: number) => void peers.delete(id),
    };
    dir.syncTransport(transport, founders);
    expect([...peers]).toEqual([
      [2, '127.0.0.1:2380'],
      [3, '127.0.0.1:3380'],
    ]);
    applyMembershipChange(table, {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
      context: encodeMemberContext({ peerUrls: ['127.0.0.1:5380'] }),
    });
    update(table, 3, '127.0.0.1:6380');
    dir.syncTransport(transport, confState([1, 2, 3], [4]));
    expect(Object.fromEntries(peers)).toEqual({ 2: '127.0.0.1:2380', 3: '127.0.0.1:6380', 4: '127.0.0.1:5380' });
    dir.syncTransport(transport, confState([1, 3, 4]));
    expect([...peers.keys()].sort()).toEqual([3, 4]);
  });
});
