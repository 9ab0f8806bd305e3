import { status } from '@grpc/grpc-js';
import { etcdserverpb } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { type KvBackend, type ReadConsistency, checkTxnOps, isTxnSerializable, kvService } from './kv-service.js';

const get: etcdserverpb.RequestOp = { request: { $case: 'requestRange', value: {} as etcdserverpb.RangeRequest } };
const ops = (n: number) => Array.from({ length: n }, () => get);
const txn = (compare: number, success: etcdserverpb.RequestOp[], failure: etcdserverpb.RequestOp[] = []): etcdserverpb.TxnRequest => ({
  compare: Array.from({ length: compare }, () => ({}) as etcdserverpb.Compare),
  success,
  failure,
});
const nested = (inner: etcdserverpb.TxnRequest): etcdserverpb.RequestOp => ({ request: { $case: 'requestTxn', value: inner } });

describe('checkTxnOps (etcd --max-txn-ops)', () => {
  it('accepts up to the limit in the compares and in each branch', () => {
    expect(() => checkTxnOps(txn(128, ops(128), ops(128)), 128)).not.toThrow();
  });

  it.each([
    ['compares', txn(129, [])],
    ['success ops', txn(0, ops(129))],
    ['failure ops', txn(0, [], ops(129))],
  ])('refuses too many %s with etcd\'s error', (_what, req) => {
    let err: { code?: number; details?: string } | undefined;
    try {
      checkTxnOps(req, 128);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'etcdserver: too many operations in txn request' });
  });

  it('gives a nested transaction what its parent left of the budget', () => {
    expect(() => checkTxnOps(txn(0, [...ops(2), nested(txn(0, ops(2)))]), 5)).not.toThrow();
    expect(() => checkTxnOps(txn(0, [...ops(2), nested(txn(0, ops(3)))]), 5)).toThrow('too many operations');
  });
});

const range = (serializable: boolean): etcdserverpb.RequestOp => ({ request: { $case: 'requestRange', value: etcdserverpb.RangeRequest.fromPartial({ key: new Uint8Array([1]), serializable }) } });
const put: etcdserverpb.RequestOp = { request: { $case: 'requestPut', value: etcdserverpb.PutRequest.fromPartial({ key: new Uint8Array([1]) }) } };

describe('isTxnSerializable (etcd)', () => {
  it('holds when every operation in both branches is a serializable range', () => {
    expect(isTxnSerializable(txn(1, [range(true)], [range(true), range(true)]))).toBe(true);
    expect(isTxnSerializable(txn(1, [], []))).toBe(true);
  });

  it('fails for a linearizable range, a write or a nested transaction in either branch', () => {
    expect(isTxnSerializable(txn(0, [range(true)], [range(false)]))).toBe(false);
    expect(isTxnSerializable(txn(0, [range(true), put]))).toBe(false);
    expect(isTxnSerializable(txn(0, [nested(txn(0, [range(true)]))]))).toBe(false);
  });
});

describe('the KV service reads at the consistency asked for', () => {
  /** A backend that records the reads asked of it and holds nothing. */
  function recordingBackend(): { backend: KvBackend; reads: ReadConsistency[] } {
    const reads: ReadConsistency[] = [];
    const empty = { get: () => undefined, range: () => [], put: () => {}, remove: () => {} };
    const backend = {
      reader: () => ({ revision: () => 1, range: () => ({ kvs: [], more: false, count: 0 }) }),
      readTable: () => empty,
      propose: () => Promise.reject(new Error('no writes here')),
      read: (consistency: ReadConsistency) => {
        reads.push(consistency);
        return Promise.resolve();
      },
      header: (revision: number) => ({ clusterId: 1, memberId: 1, revision, raftTerm: 1 }),
      maxRequestBytes: 1 << 20,
      maxTxnOps: 128,
      authorize: () => {},
    } as unknown as KvBackend;
    return { backend, reads };
  }

  const call = <Req>(handler: unknown, request: Req) =>
    new Promise<void>((resolve, reject) =>
      (handler as (call: { request: Req; metadata: unknown }, cb: (e: unknown) => void) => void)({ request, metadata: {} }, (e) => (e ? reject(e as Error) : resolve())),
    );

  it('asks for a ReadIndex round only for linearizable ranges and transactions', async () => {
    const { backend, reads } = recordingBackend();
    const kv = kvService(backend);
    await call(kv.range, { key: new Uint8Array([1]), serializable: false });
    await call(kv.range, { key: new Uint8Array([1]), serializable: true });
    await call(kv.txn, txn(0, [range(true)], [range(true)]));
    await call(kv.txn, txn(0, [range(true)], [range(false)]));
    expect(reads).toEqual(['linearizable', 'serializable', 'serializable', 'linearizable']);
  });
});
