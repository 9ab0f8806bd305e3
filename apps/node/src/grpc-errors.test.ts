import { status } from '@grpc/grpc-js';
import { ProposalDroppedError, RaftNodeError } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { toGrpcError } from './grpc-errors.js';
import { KvError } from './kv/mvcc.js';

describe('toGrpcError: the codes and messages etcd clients act on', () => {
  it.each([
    ['a proposal or read past the request timeout', new RaftNodeError('timeout', 'proposal timed out'), status.UNAVAILABLE, 'etcdserver: request timed out'],
    ['too many pending proposals', new RaftNodeError('too-many-requests', 'too many requests: 10000 proposals are pending'), status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
    ['the uncommitted log over its limit', new ProposalDroppedError('uncommitted-limit', 'too much uncommitted'), status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
    ['no leader', new ProposalDroppedError('no-leader', 'no leader'), status.UNAVAILABLE, 'etcdserver: no leader'],
    ['a leadership transfer', new ProposalDroppedError('leadership-transfer', 'transferring'), status.UNAVAILABLE, 'etcdserver: leader changed'],
    ['a stopping member', new RaftNodeError('stopped', 'shutting down'), status.UNAVAILABLE, 'etcdserver: server stopped'],
    ['a compacted revision', new KvError('compacted', 'etcdserver: mvcc: required revision has been compacted'), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
  ])('%s', (_what, error, code, details) => {
    expect(toGrpcError(error)).toMatchObject({ code, details });
  });
});
