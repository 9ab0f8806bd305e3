/**
 * Maps failures to the gRPC status codes and messages etcd clients act on
 * (etcd's `rpctypes`): clients retry "no leader" and "request timed out",
 * back off on "too many requests", and recognise "required revision has been
 * compacted".
 */
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ProposalDroppedError, RaftNodeError } from '@raftkit/core';
import { KvError } from './kv/mvcc.js';

/** A gRPC error with a status code and a message. */
export function grpcError(code: status, message: string): ServiceError {
  const e = new Error(message) as ServiceError;
  e.code = code;
  e.details = message;
  e.metadata = new Metadata();
  return e;
}

/** Errors clients see, named as etcd names them. */
export const ETCD_ERRORS = {
  noLeader: () => grpcError(status.UNAVAILABLE, 'etcdserver: no leader'),
  timeout: () => grpcError(status.UNAVAILABLE, 'etcdserver: request timed out'),
  tooManyRequests: () => grpcError(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  stopped: () => grpcError(status.UNAVAILABLE, 'etcdserver: server stopped'),
  requestTooLarge: () => grpcError(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  tooManyOps: () => grpcError(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  leaderChanged: () => grpcError(status.UNAVAILABLE, 'etcdserver: leader changed'),
  permissionDenied: () => grpcError(status.PERMISSION_DENIED, 'etcdserver: permission denied'),
  invalidAuthToken: () => grpcError(status.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
} as const;

/** Translates any failure of a request into the status etcd would answer with. */
export function toGrpcError(e: unknown): ServiceError {
  if (e instanceof KvError) {
    switch (e.code) {
      case 'compacted':
      case 'future-revision':
        return grpcError(status.OUT_OF_RANGE, e.message);
      case 'lease-not-found':
        return grpcError(status.NOT_FOUND, e.message);
      default:
        return grpcError(status.INVALID_ARGUMENT, e.message);
    }
  }
  if (e instanceof ProposalDroppedError) {
    if (e.reason === 'uncommitted-limit') return ETCD_ERRORS.tooManyRequests();
    if (e.reason === 'leadership-transfer') return ETCD_ERRORS.leaderChanged();
    if (e.reason === 'conf-change-pending') return grpcError(status.FAILED_PRECONDITION, `etcdserver: ${e.message}`);
    return ETCD_ERRORS.noLeader();
  }
  if (e instanceof RaftNodeError) {
    switch (e.reason) {
      case 'timeout':
        return ETCD_ERRORS.timeout();
      case 'too-many-requests':
        return ETCD_ERRORS.tooManyRequests();
      case 'aborted':
      case 'stopped':
        return ETCD_ERRORS.stopped();
      case 'transfer-failed':
        return grpcError(status.DEADLINE_EXCEEDED, e.message);
      case 'failed':
        return grpcError(status.INTERNAL, e.message);
    }
  }
  if (e && typeof e === 'object' && 'code' in e && typeof (e as ServiceError).code === 'number') return e as ServiceError;
  return grpcError(status.INTERNAL, `etcdserver: ${(e as Error)?.message ?? String(e)}`);
}
