import { Metadata, type ServiceError, type handleUnaryCall, status } from '@grpc/grpc-js';
import { parseNodeConfig } from '@raftkit/config';
import { type ConfChange, ConfChangeTransition, ConfChangeType, type ConfState, ProposalDroppedError } from '@raftkit/core';
import type { adminv1 } from '@raftkit/proto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemberDirectory } from '../cluster/directory.js';
import { applyMembershipChange } from '../cluster/registry.js';
import { MemoryTable } from '../kv/table.js';
import { MEMBER_ID_REMOVED, adminService } from './admin-service.js';
import type { ServiceContext } from './context.js';

/** A member whose Raft node applies every membership change at once, unless told the previous one is still pending. */
function fakeMember() {
  const table = new MemoryTable();
  const config = parseNodeConfig({ id: 1, members: [{ id: 1, peer: '127.0.0.1:1380' }, { id: 2, peer: '127.0.0.1:2380' }, { id: 3, peer: '127.0.0.1:3380' }] });
  let cs: ConfState = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const proposed: ConfChange[] = [];
  const applyChange = (cc: ConfChange): void => {
    for (const c of cc.changes) {
      const others = (ids: number[]) => ids.filter((id) => id !== c.nodeId);
      if (c.type === ConfChangeType.RemoveNode) cs = { ...cs, voters: others(cs.voters), learners: others(cs.learners) };
      if (c.type === ConfChangeType.AddVoter) cs = { ...cs, voters: [...others(cs.voters), c.nodeId], learners: others(cs.learners) };
      if (c.type === ConfChangeType.AddLearner) cs = { ...cs, learners: [...others(cs.learners), c.nodeId] };
    }
    applyMembershipChange(table, cc);
  };
  /** Changes applied when the next proposal is refused as pending (a change another operator made). */
  const pendingBefore: ConfChange[] = [];
  const node = {
    read: async () => {},
    raw: { raft: { trk: { confState: () => cs } } },
    proposeConfChange: async (cc: ConfChange) => {
      const earlier = pendingBefore.shift();
      if (earlier) {
        applyChange(earlier);
        throw new ProposalDroppedError('conf-change-pending', 'a membership change is pending');
      }
      proposed.push(cc);
      applyChange(cc);
      return cs;
    },
  };
  const ctx = {
    config,
    node,
    sm: { readTable: () => table },
    directory: new MemberDirectory(config, () => table),
    transport: { peerIds: () => [], setPeer: () => {}, removePeer: () => {} },
    logger: pino({ level: 'silent' }),
    authorize: () => {},
  } as unknown as ServiceContext;
  const admin = adminService(ctx);
  const call = <Req, Res>(method: handleUnaryCall<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) => method({ request, metadata: new Metadata() } as never, (e, r) => (e ? reject(e as ServiceError) : resolve(r!))));
  return {
    proposed,
    pendingBefore,
    add: (id: number) =>
      call<adminv1.AddMemberRequest, adminv1.AddMemberResponse>(admin.addMember, { id, name: '', peerAddress: `127.0.0.1:${id}380`, clientAddress: '', asLearner: true }),
    remove: (id: number) => call<adminv1.RemoveMemberRequest, adminv1.RemoveMemberResponse>(admin.removeMember, { id }),
  };
}

describe('admin service: member add', () => {
  it("refuses the id of a removed member with etcd's error, proposing nothing", async () => {
    const m = fakeMember();
    await m.add(4);
    await m.remove(4);
    const proposals = m.proposed.length;
    await expect(m.add(4)).rejects.toMatchObject({ code: status.NOT_FOUND, details: MEMBER_ID_REMOVED });
    expect(MEMBER_ID_REMOVED).toBe('etcdserver: member not found');
    // A founding member too.
    await m.remove(3);
    await expect(m.add(3)).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(m.proposed.length).toBe(proposals + 1);
    // A new id is welcome.
    expect((await m.add(5)).member).toMatchObject({ id: 5, isLearner: true });
    await expect(m.add(5)).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
  });

  it('checks again after waiting for a pending change, which may have added or removed the id meanwhile', async () => {
    const m = fakeMember();
    // Another operator's addition of 8 is pending when this one arrives.
    m.pendingBefore.push({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.AddLearner, nodeId: 8 }], context: new Uint8Array() });
    await expect(m.add(8)).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    // And a removal of 9 (before it was ever added here).
    m.pendingBefore.push({ transition: ConfChangeTransition.Auto, changes: [{ type: ConfChangeType.RemoveNode, nodeId: 9 }], context: new Uint8Array() });
    await expect(m.add(9)).rejects.toMatchObject({ code: status.NOT_FOUND, details: MEMBER_ID_REMOVED });
    expect(m.proposed).toEqual([]);
  });
});
