/**
 * The etcd v3 `KV` service: reads are served from this member's state
 * (after a ReadIndex round unless `serializable`), writes are proposed to
 * Raft (forwarded to the leader by the core when this member follows) and
 * answered once applied here.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdserverpb } from '@raftkit/proto';
import { ETCD_ERRORS, grpcError } from '../grpc-errors.js';
import type { KvCommand } from '../kv/commands.js';
import { KvError, type MvccReader, MvccStore } from '../kv/mvcc.js';
import type { KvTable } from '../kv/table.js';
import { status } from '@grpc/grpc-js';
import { unaryHandler } from './unary.js';

/** How fresh a read must be: etcd's `serializable` flag, false or true. */
export type ReadConsistency = 'linearizable' | 'serializable';

/** The outcome of applying one command, as the state machine reports it. */
export type KvApplyResult = { revision: number; response: unknown } | { error: KvError };

/** What the service needs from the server around it. */
export interface KvBackend {
  /** The local state, as of the last applied entry. */
  reader(): MvccReader;
  /** A read-only view of the state table, to evaluate read-only transactions. */
  readTable(): KvTable;
  /**
   * Replicates a write and resolves with its result once applied on this
   * member. Refuses (with etcd's "request is too large") a command whose
   * encoding exceeds the request limit.
   */
  propose(cmd: KvCommand): Promise<KvApplyResult>;
  /**
   * Resolves when a read of the local state at `consistency` is safe: for
   * `linearizable`, once a ReadIndex round confirmed the leader and this
   * member applied everything committed before the call; for `serializable`,
   * at once (the member answers from what it applied, which may be stale).
   */
  read(consistency: ReadConsistency): Promise<void>;
  /** cluster_id, member_id, raft_term for a header at `revision`. */
  header(revision: number): etcdserverpb.ResponseHeader;
  /** Largest request accepted, in bytes. */
  maxRequestBytes: number;
  /** Most operations in one txn branch, and most compares (etcd's --max-txn-ops). */
  maxTxnOps: number;
  /** Authorises a call (shared token); throws a gRPC error when refused. */
  authorize(metadata: grpc.Metadata): void;
}

function handle<Req, Res>(backend: KvBackend, body: (req: Req) => Promise<Res> | Res) {
  return unaryHandler(backend.authorize, body);
}

function hasWrites(ops: etcdserverpb.RequestOp[]): boolean {
  return ops.some((op) => {
    const r = op.request;
    if (!r) return false;
    if (r.$case === 'requestPut' || r.$case === 'requestDeleteRange') return true;
    if (r.$case === 'requestTxn') return hasWrites(r.value.success) || hasWrites(r.value.failure);
    return false;
  });
}

/**
 * etcd's isTxnSerializable: a read-only transaction whose every operation is
 * a serializable range needs no ReadIndex round (a nested transaction makes
 * it linearizable).
 */
export function isTxnSerializable(req: etcdserverpb.TxnRequest): boolean {
  return [...req.success, ...req.failure].every((op) => op.request?.$case === 'requestRange' && op.request.value.serializable);
}

/**
 * etcd's checkTxnRequest: the compares and each branch hold at most `max`
 * operations; a nested transaction gets what its parent left of the budget.
 */
export function checkTxnOps(req: etcdserverpb.TxnRequest, max: number): void {
  const used = Math.max(req.compare.length, req.success.length, req.failure.length);
  if (used > max) throw ETCD_ERRORS.tooManyOps();
  for (const op of [...req.success, ...req.failure]) {
    if (op.request?.$case === 'requestTxn') checkTxnOps(op.request.value, max - used);
  }
}

function unwrap<T>(result: KvApplyResult): { revision: number; response: T } {
  if ('error' in result) throw result.error;
  return result as { revision: number; response: T };
}

/** Builds the gRPC implementation of `etcdserverpb.KV`. */
export function kvService(backend: KvBackend): etcdserverpb.KVServer {
  const write = async <T>(cmd: KvCommand) => unwrap<T>(await backend.propose(cmd));
  return {
    range: handle<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(backend, async (req) => {
      if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
      await backend.read(req.serializable ? 'serializable' : 'linearizable');
      const reader = backend.reader();
      const res = reader.range(req);
      return { header: backend.header(reader.revision()), ...res };
    }),
    put: handle<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(backend, async (req) => {
      if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
      const r = await write<{ prevKv: etcdserverpb.PutResponse['prevKv'] }>({ type: 'put', request: req });
      return { header: backend.header(r.revision), prevKv: r.response.prevKv };
    }),
    deleteRange: handle<etcdserverpb.DeleteRangeRequest, etcdserverpb.DeleteRangeResponse>(backend, async (req) => {
      if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
      const r = await write<{ deleted: number; prevKvs: etcdserverpb.DeleteRangeResponse['prevKvs'] }>({ type: 'delete-range', request: req });
      return { header: backend.header(r.revision), ...r.response };
    }),
    txn: handle<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse>(backend, async (req) => {
      checkTxnOps(req, backend.maxTxnOps);
      if (!hasWrites(req.success) && !hasWrites(req.failure)) {
        // A read-only transaction is a read: no log entry, and one ReadIndex
        // round unless every range in it is serializable.
        if (etcdserverpb.TxnRequest.encode(req).finish().length > backend.maxRequestBytes) throw ETCD_ERRORS.requestTooLarge();
        await backend.read(isTxnSerializable(req) ? 'serializable' : 'linearizable');
        const r = new MvccStore(backend.readTable()).txn(req);
        return { header: backend.header(r.revision), ...r.response };
      }
      const r = await write<{ succeeded: boolean; responses: etcdserverpb.ResponseOp[] }>({ type: 'txn', request: req });
      return { header: backend.header(r.revision), ...r.response };
    }),
    compact: handle<etcdserverpb.CompactionRequest, etcdserverpb.CompactionResponse>(backend, async (req) => {
      if (req.revision <= 0) throw grpcError(status.INVALID_ARGUMENT, `etcdserver: compaction revision ${req.revision} must be positive`);
      const r = await write<Record<string, never>>({ type: 'compact', request: req });
      return { header: backend.header(r.revision) };
    }),
  };
}
