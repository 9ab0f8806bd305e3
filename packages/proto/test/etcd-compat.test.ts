/**
 * Wire compatibility with etcd v3 clients: a real gRPC server built from the
 * generated etcdserverpb definitions, spoken to by the `etcd3` npm client,
 * which carries etcd's own .proto files. Any difference in a package,
 * service, method, field number or type shows up as a failed call or a
 * wrong value.
 */
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterService,
  type CompactionRequest,
  type Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  KVService,
  MaintenanceService,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseHeader,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../src/gen/etcd/api/etcdserverpb/rpc.js';
import type { KeyValue } from '../src/gen/etcd/api/mvccpb/kv.js';

/** A minimal in-memory etcd-like store: enough semantics to check every field round-trips. */
class MemoryKv {
  revision = 1;
  /** The compactions asked for, as the server decoded them. */
  readonly compactions: CompactionRequest[] = [];
  private readonly kvs = new Map<string, KeyValue>();

  header(): ResponseHeader {
    return { clusterId: 7, memberId: 3, revision: this.revision, raftTerm: 5 };
  }

  private keysIn(key: Uint8Array, rangeEnd: Uint8Array): string[] {
    const from = Buffer.from(key).toString('latin1');
    if (rangeEnd.length === 0) return this.kvs.has(from) ? [from] : [];
    const all = rangeEnd.length === 1 && rangeEnd[0] === 0;
    const to = Buffer.from(rangeEnd).toString('latin1');
    return [...this.kvs.keys()].filter((k) => k >= from && (all || k < to)).sort();
  }

  range(req: RangeRequest): RangeResponse {
    const keys = this.keysIn(req.key, req.rangeEnd);
    const limited = req.limit > 0 ? keys.slice(0, req.limit) : keys;
    const kvs = req.countOnly ? [] : limited.map((k) => this.kvs.get(k)!);
    return { header: this.header(), kvs, more: limited.length < keys.length, count: keys.length };
  }

  put(req: PutRequest): PutResponse {
    const name = Buffer.from(req.key).toString('latin1');
    const prev = this.kvs.get(name);
    this.revision++;
    this.kvs.set(name, {
      key: req.key,
      value: req.value,
      createRevision: prev?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (prev?.version ?? 0) + 1,
      lease: req.lease,
    });
    return { header: this.header(), prevKv: req.prevKv ? prev : undefined };
  }

  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    const keys = this.keysIn(req.key, req.rangeEnd);
    const prevKvs = keys.map((k) => this.kvs.get(k)!);
    if (keys.length > 0) this.revision++;
    for (const k of keys) this.kvs.delete(k);
    return { header: this.header(), deleted: keys.length, prevKvs: req.prevKv ? prevKvs : [] };
  }

  private holds(c: Compare): boolean {
    const kv = this.kvs.get(Buffer.from(c.key).toString('latin1'));
    let order: number;
    const t = c.targetUnion;
    if (c.target === Compare_CompareTarget.VALUE && t?.$case === 'value') {
      order = Buffer.compare(Buffer.from(kv?.value ?? []), Buffer.from(t.value));
    } else if (c.target === Compare_CompareTarget.VERSION && t?.$case === 'version') {
      order = Math.sign((kv?.version ?? 0) - t.value);
    } else {
      throw new Error(`compare target ${c.target} with ${t?.$case} is not supported by this test store`);
    }
    switch (c.result) {
      case Compare_CompareResult.EQUAL:
        return order === 0;
      case Compare_CompareResult.NOT_EQUAL:
        return order !== 0;
      case Compare_CompareResult.GREATER:
        return order > 0;
      case Compare_CompareResult.LESS:
        return order < 0;
    }
  }

  private apply(op: RequestOp): ResponseOp {
    const r = op.request;
    switch (r?.$case) {
      case 'requestRange':
        return { response: { $case: 'responseRange', value: this.range(r.value) } };
      case 'requestPut':
        return { response: { $case: 'responsePut', value: this.put(r.value) } };
      case 'requestDeleteRange':
        return { response: { $case: 'responseDeleteRange', value: this.deleteRange(r.value) } };
      case 'requestTxn':
        return { response: { $case: 'responseTxn', value: this.txn(r.value) } };
      default:
        throw new Error('empty request op');
    }
  }

  txn(req: TxnRequest): TxnResponse {
    const succeeded = req.compare.every((c) => this.holds(c));
    const responses = (succeeded ? req.success : req.failure).map((op) => this.apply(op));
    return { header: this.header(), succeeded, responses };
  }
}

function unary<Req, Res>(fn: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, fn(call.request));
    } catch (e) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
    }
  };
}

describe('etcd v3 wire compatibility (etcd3 npm client)', () => {
  const store = new MemoryKv();
  const server = new grpc.Server();
  let client: Etcd3;

  beforeAll(async () => {
    server.addService(KVService, {
      range: unary((r: RangeRequest) => store.range(r)),
      put: unary((r: PutRequest) => store.put(r)),
      deleteRange: unary((r: DeleteRangeRequest) => store.deleteRange(r)),
      txn: unary((r: TxnRequest) => store.txn(r)),
      compact: unary((r: CompactionRequest) => {
        store.compactions.push(r);
        return { header: store.header() };
      }),
    });
    server.addService(ClusterService, {
      memberList: unary(() => ({
        header: store.header(),
        members: [
          { ID: 3, name: 'n3', peerURLs: ['http://127.0.0.1:2380'], clientURLs: ['http://127.0.0.1:2379'], isLearner: false },
          { ID: 4, name: 'n4', peerURLs: ['http://127.0.0.1:2480'], clientURLs: [], isLearner: true },
        ],
      })),
    });
    server.addService(MaintenanceService, {
      status: unary(() => ({
        header: store.header(),
        version: '3.5.0',
        dbSize: 4096,
        leader: 3,
        raftIndex: 42,
        raftTerm: 5,
        raftAppliedIndex: 41,
        errors: [],
        dbSizeInUse: 2048,
        isLearner: false,
        storageVersion: '',
        dbSizeQuota: 0,
      })),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new Etcd3({ hosts: `127.0.0.1:${port}` });
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('puts and gets keys with revisions and versions in etcd field order', async () => {
    await client.put('alpha').value('1');
    await client.put('alpha').value('2');
    const res = await client.get('alpha').exec();
    expect(res.header.revision).toBe(String(store.revision));
    expect(res.header.cluster_id).toBe('7');
    expect(res.header.member_id).toBe('3');
    expect(res.header.raft_term).toBe('5');
    expect(res.count).toBe('1');
    const kv = res.kvs[0]!;
    expect(kv.key.toString()).toBe('alpha');
    expect(kv.value.toString()).toBe('2');
    expect(kv.version).toBe('2');
    expect(Number(kv.mod_revision)).toBeGreaterThan(Number(kv.create_revision));
  });

  it('returns the previous key-value pair of a put when asked', async () => {
    const res = await client.put('beta').value('old').exec();
    expect(res.prev_kv).toBeNull();
    const again = await client.put('beta').value('new').getPrevious();
    expect(again?.value.toString()).toBe('old');
  });

  it('ranges over a prefix with a limit and counts', async () => {
    await client.put('p/1').value('a');
    await client.put('p/2').value('b');
    await client.put('p/3').value('c');
    const all = await client.getAll().prefix('p/').strings();
    expect(all).toEqual({ 'p/1': 'a', 'p/2': 'b', 'p/3': 'c' });
    const limited = await client.getAll().prefix('p/').limit(2).exec();
    expect(limited.kvs.map((kv) => kv.key.toString())).toEqual(['p/1', 'p/2']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe('3');
    expect(await client.getAll().prefix('p/').count()).toBe(3);
  });

  it('deletes a range and reports the deleted pairs', async () => {
    await client.put('d/1').value('x');
    await client.put('d/2').value('y');
    const res = await client.delete().prefix('d/').getPrevious();
    expect(res.map((kv) => kv.key.toString()).sort()).toEqual(['d/1', 'd/2']);
    expect(await client.get('d/1').string()).toBeNull();
  });

  it('runs transactions with value compares and nested results', async () => {
    await client.put('t').value('v1');
    const ok = await client.if('t', 'Value', '==', 'v1').then(client.put('t').value('v2')).else(client.get('t')).commit();
    expect(ok.succeeded).toBe(true);
    expect(ok.responses[0]?.response_put?.header.revision).toBe(String(store.revision));
    const failed = await client.if('t', 'Value', '==', 'v1').then(client.put('t').value('v3')).else(client.get('t')).commit();
    expect(failed.succeeded).toBe(false);
    expect(failed.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('v2');
    const byVersion = await client.if('t', 'Version', '>', 1).then(client.delete().key('t')).commit();
    expect(byVersion.succeeded).toBe(true);
    expect(byVersion.responses[0]?.response_delete_range?.deleted).toBe('1');
  });

  it('compacts through the raw KV client, with the revision and the physical flag', async () => {
    // etcd3 has no high-level call for it; etcdctl's `compaction` sends the same request.
    const res = await client.kv.compact({ revision: '5', physical: true });
    expect(res.header.revision).toBe(String(store.revision));
    expect(res.header.cluster_id).toBe('7');
    await client.kv.compact({ revision: 9007199254740991 });
    expect(store.compactions).toEqual([
      { revision: 5, physical: true },
      { revision: Number.MAX_SAFE_INTEGER, physical: false },
    ]);
  });

  it('lists members with etcd names, URLs and learner flags', async () => {
    const res = await client.cluster.memberList({});
    expect(res.members.map((m) => [m.ID, m.name, m.peerURLs, m.clientURLs, m.isLearner])).toEqual([
      ['3', 'n3', ['http://127.0.0.1:2380'], ['http://127.0.0.1:2379'], false],
      ['4', 'n4', ['http://127.0.0.1:2480'], [], true],
    ]);
  });

  it('answers Maintenance.Status with leader, indexes and sizes', async () => {
    const res = await client.maintenance.status();
    expect(res.version).toBe('3.5.0');
    expect(res.dbSize).toBe('4096');
    expect(res.leader).toBe('3');
    expect(res.raftIndex).toBe('42');
    expect(res.raftTerm).toBe('5');
  });
});
