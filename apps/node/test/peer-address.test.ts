/**
 * A member's peer address changed through the admin API (what `raftctl
 * member update --peer` sends) reaches the members that were started with
 * the old address in their --initial-cluster: the replicated registry, not
 * each member's own list, says where a member is once it records it.
 */
import type { adminv1, etcdserverpb } from '@raftkit/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, freePorts, putReq, rangeReq } from './support/local-cluster.js';

describe('moving a member to a new peer port', () => {
  let c: LocalCluster | undefined;
  afterAll(async () => {
    await c?.close();
  });

  it('the others dial it at the address updateMember recorded, so it receives new writes', async () => {
    c = await LocalCluster.create([1, 2, 3]);
    const cluster = c;
    cluster.startAll();
    const leader = (await cluster.waitForLeader()).id;
    const moved = [1, 2, 3].find((id) => id !== leader)!;
    const has = async (id: number, key: string): Promise<boolean> => {
      try {
        const r = await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(id, 'range', rangeReq(key, '', { serializable: true }), 1000);
        return r.kvs.length > 0;
      } catch {
        return false;
      }
    };
    const eventually = async (id: number, key: string, ms = 15_000): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (await has(id, key)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    await cluster.kv(leader, 'put', putReq('before', 'x'));
    expect(await eventually(moved, 'before')).toBe(true);

    const [newPort] = await freePorts(1);
    const newAddress = `127.0.0.1:${newPort}`;
    const updated = await cluster.admin<adminv1.UpdateMemberRequest, adminv1.UpdateMemberResponse>(leader, 'updateMember', { id: moved, peerAddress: newAddress });
    expect(updated.members.find((m) => m.id === moved)?.peerAddress).toBe(newAddress);

    // Restart it listening on the new port only; the others keep their configuration.
    await cluster.kill(moved, 'SIGTERM');
    cluster.member(moved).peer = newPort!;
    cluster.start(moved);

    await cluster.kv(leader, 'put', putReq('after', 'y'));
    expect(await eventually(moved, 'after'), `member ${moved} never received the write on ${newAddress}\n${cluster.logs()}`).toBe(true);
    // member list shows where the transport dials.
    for (const id of [1, 2, 3]) {
      const list = await cluster.admin<adminv1.ListMembersRequest, adminv1.ListMembersResponse>(id, 'listMembers', { linearizable: false });
      expect(list.members.find((m) => m.id === moved)?.peerAddress).toBe(newAddress);
    }
  });
});
