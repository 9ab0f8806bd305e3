/**
 * etcd's `Cluster.MemberList` and `Maintenance.Status`, so that
 * `etcdctl member list` and `etcdctl endpoint status` work against raftkit.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LMDB_FILE } from '@raftkit/storage-lmdb';
import type { etcdserverpb } from '@raftkit/proto';
import type { ServiceContext } from './context.js';
import { unaryHandler } from './unary.js';

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
    memberList: unaryHandler<etcdserverpb.MemberListRequest, etcdserverpb.MemberListResponse>(ctx.authorize, async (req) => {
      if (req.linearizable) await ctx.node.read();
      return { header: header(ctx), members: etcdMembers(ctx) };
    }),
  };
}

/** `etcdserverpb.Maintenance`: only Status is served. */
export function maintenanceService(ctx: ServiceContext): etcdserverpb.MaintenanceServer {
  return {
    status: unaryHandler<etcdserverpb.StatusRequest, etcdserverpb.StatusResponse>(ctx.authorize, () => {
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
