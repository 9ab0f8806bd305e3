/**
 * etcd's `Cluster.MemberList` and `Maintenance.Status`, so that
 * `etcdctl member list` and `etcdctl endpoint status` work against raftkit.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { LMDB_FILE } from '@raftkit/storage-lmdb';
import type { etcdserverpb } from '@raftkit/proto';
import { toGrpcError } from '../grpc-errors.js';
import type { ServiceContext } from './context.js';

function unary<Req, Res>(ctx: ServiceContext, body: (req: Req) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => {
        ctx.authorize(call.metadata);
        return body(call.request);
      })
      .then(
        (res) => callback(null, res),
        (e: unknown) => callback(toGrpcError(e)),
      );
  };
}

/** The size of the member's LMDB file, in bytes. */
export function dbSize(ctx: ServiceContext): number {
  try {
    return statSync(join(ctx.config.dataDir, LMDB_FILE)).size;
  } catch {
    return 0;
  }
}

function header(ctx: ServiceContext): etcdserverpb.ResponseHeader {
  return { clusterId: ctx.clusterId, memberId: ctx.config.id, revision: ctx.sm.reader().revision(), raftTerm: ctx.node.raw.raft.term };
}

/** The members as etcd reports them. */
export function etcdMembers(ctx: ServiceContext): etcdserverpb.Member[] {
  return ctx.directory.members(ctx.node.raw.raft.trk.confState()).map((m) => ({
    ID: m.id,
    name: m.name,
    peerURLs: m.peerUrls.map((u) => (u.includes('://') ? u : `http://${u}`)),
    clientURLs: m.clientUrls.map((u) => (u.includes('://') ? u : `http://${u}`)),
    isLearner: m.isLearner,
  }));
}

/** `etcdserverpb.Cluster`: only MemberList is served. */
export function clusterService(ctx: ServiceContext): etcdserverpb.ClusterServer {
  return {
    memberList: unary<etcdserverpb.MemberListRequest, etcdserverpb.MemberListResponse>(ctx, async (req) => {
      if (req.linearizable) await ctx.node.read();
      return { header: header(ctx), members: etcdMembers(ctx) };
    }),
  };
}

/** `etcdserverpb.Maintenance`: only Status is served. */
export function maintenanceService(ctx: ServiceContext): etcdserverpb.MaintenanceServer {
  return {
    status: unary<etcdserverpb.StatusRequest, etcdserverpb.StatusResponse>(ctx, () => {
      const s = ctx.node.status();
      const size = dbSize(ctx);
      const errors = s.failed ? [s.failed] : s.lead === 0 ? ['etcdserver: no leader'] : [];
      return {
        header: header(ctx),
        version: ctx.version,
        dbSize: size,
        leader: s.lead,
        raftIndex: s.hardState.commit,
        raftTerm: s.hardState.term,
        raftAppliedIndex: s.applied,
        errors,
        dbSizeInUse: size,
        isLearner: !s.config.voters.includes(ctx.config.id) && !s.config.votersOutgoing.includes(ctx.config.id),
        storageVersion: '',
        dbSizeQuota: 0,
      };
    }),
  };
}
