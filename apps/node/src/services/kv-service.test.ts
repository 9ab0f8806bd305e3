import { status } from '@grpc/grpc-js';
import type { etcdserverpb } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { checkTxnOps } from './kv-service.js';

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
