/**
 * A real third-party client: the `etcd3` npm package does put, get, prefix
 * range, delete and a compare-and-set transaction against a 3-member raftkit
 * cluster, through a follower as well as the leader.
 */
import { Etcd3, GRPCInvalidArgumentError, GRPCOutOfRangeError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from './support/local-cluster.js';

describe('the etcd3 client against a 3-member cluster', () => {
  let cluster: LocalCluster;
  let leader: number;
  beforeAll(async () => {
    cluster = await LocalCluster.create([1, 2, 3]);
    cluster.startAll();
    leader = (await cluster.waitForLeader()).id;
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('lists every member with the client address it published (etcdctl member list)', async () => {
    const client = new Etcd3({ hosts: `127.0.0.1:${cluster.member(leader).client}` });
    try {
      // Members configured with peer addresses only publish their client addresses through the log.
      const deadline = Date.now() + 15_000;
      let members: Array<{ ID: string; clientURLs: string[] }> = [];
      while (Date.now() < deadline) {
        members = (await client.cluster.memberList({ linearizable: true })).members;
        if (members.length === 3 && members.every((m) => m.clientURLs.length > 0)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(members.map((m) => Number(m.ID)).sort()).toEqual([1, 2, 3]);
      for (const m of members) expect(m.clientURLs).toEqual([`http://127.0.0.1:${cluster.member(Number(m.ID)).client}`]);
      const status = await client.maintenance.status();
      expect(Number(status.leader)).toBe(leader);
    } finally {
      client.close();
    }
  });

  for (const via of ['leader', 'follower'] as const) {
    it(`puts, gets, ranges a prefix, deletes and compares-and-sets through the ${via}`, async () => {
      const id = via === 'leader' ? leader : [1, 2, 3].find((x) => x !== leader)!;
      const client = new Etcd3({ hosts: `127.0.0.1:${cluster.member(id).client}` });
      try {
        const p = `${via}/`;
        await client.put(`${p}greeting`).value('hello');
        expect(await client.get(`${p}greeting`).string()).toBe('hello');
        await client.put(`${p}fruit/apple`).value('red');
        await client.put(`${p}fruit/banana`).value('yellow');
        expect(await client.getAll().prefix(`${p}fruit/`).strings()).toEqual({ [`${p}fruit/apple`]: 'red', [`${p}fruit/banana`]: 'yellow' });
        expect(await client.getAll().prefix(`${p}fruit/`).count()).toBe(2);
        await client.delete().key(`${p}fruit/apple`);
        expect(await client.getAll().prefix(`${p}fruit/`).keys()).toEqual([`${p}fruit/banana`]);
        // Compare-and-set: succeeds when the value matches, fails when it does not.
        const swapped = await client.if(`${p}greeting`, 'Value', '==', 'hello').then(client.put(`${p}greeting`).value('bonjour')).commit();
        expect(swapped.succeeded).toBe(true);
        const refused = await client.if(`${p}greeting`, 'Value', '==', 'hello').then(client.put(`${p}greeting`).value('hola')).commit();
        expect(refused.succeeded).toBe(false);
        expect(await client.get(`${p}greeting`).string()).toBe('bonjour');
        // Versions and revisions as etcd reports them; a read's header carries
        // the store's revision, which includes the write just acknowledged.
        const put = await client.put(`${p}greeting`).value('salut').exec();
        const read = await client.get(`${p}greeting`).exec();
        const kv = read.kvs[0]!;
        expect(kv.version).toBe('3');
        expect(Number(kv.mod_revision)).toBeGreaterThan(Number(kv.create_revision));
        expect(kv.mod_revision).toBe(put.header.revision);
        expect(Number(read.header.revision)).toBeGreaterThanOrEqual(Number(put.header.revision));
      } finally {
        client.close();
      }
    }, 60_000);
  }
  it('reads a transaction\'s get at the revision it names, and refuses it once compacted', async () => {
    const client = new Etcd3({ hosts: `127.0.0.1:${cluster.member(leader).client}` });
    try {
      await client.put('txn-rev/k').value('v1');
      const second = await client.put('txn-rev/k').value('v2').exec();
      const rev = Number(second.header.revision);
      const read = async (at: number) => {
        const r = await client.if('txn-rev/k', 'Version', '>', 0).then(client.get('txn-rev/k').revision(at)).commit();
        const range = r.responses[0]!.response_range!;
        return range.kvs.map((kv) => kv.value.toString());
      };
      expect(await read(rev - 1)).toEqual(['v1']);
      expect(await read(rev)).toEqual(['v2']);
      await client.kv.compact({ revision: rev });
      const refused = await read(rev - 1).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refused).toBeInstanceOf(GRPCOutOfRangeError);
      expect(refused!.message).toContain('etcdserver: mvcc: required revision has been compacted');
      // A write transaction with such a read is refused whole.
      const writing = await client
        .if('txn-rev/k', 'Version', '>', 0)
        .then(client.put('txn-rev/other').value('x'), client.get('txn-rev/k').revision(rev - 1))
        .commit()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(writing).toBeInstanceOf(GRPCOutOfRangeError);
      expect(await client.get('txn-rev/other').string()).toBeNull();
    } finally {
      client.close();
    }
  });
  it('refuses a txn of more than --max-txn-ops (128) operations, as etcd does', async () => {
    const client = new Etcd3({ hosts: `127.0.0.1:${cluster.member(leader).client}` });
    try {
      const puts = (n: number) => Array.from({ length: n }, (_, i) => client.put(`ops/${i}`).value('x'));
      expect((await client.if('ops/0', 'Version', '==', 0).then(...puts(128)).commit()).succeeded).toBe(true);
      const refused = await client
        .if('ops/0', 'Version', '==', 0)
        .then(...puts(129))
        .commit()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(refused).toBeInstanceOf(GRPCInvalidArgumentError);
      expect(refused!.message).toContain('etcdserver: too many operations in txn request');
    } finally {
      client.close();
    }
  });
});
