/**
 * The admin API (`raftkit.admin.v1.Admin`) that `raftctl` speaks: status,
 * membership, leadership transfer, snapshots, log compaction and a hash of
 * the key-value state for divergence checks.
 */
import { createHash } from 'node:crypto';
import { type ServerWritableStream, status } from '@grpc/grpc-js';
import { type ConfChangeSingle, ConfChangeTransition, ConfChangeType, ProgressState, ProposalDroppedError, StateRole } from '@raftkit/core';
import { adminv1 } from '@raftkit/proto';
import { encodeMemberContext, isRemoved } from '../cluster/registry.js';
import { grpcError, toGrpcError } from '../grpc-errors.js';
import { dbSize } from './cluster-service.js';
import type { ServiceContext } from './context.js';
import { unaryHandler } from './unary.js';

/**
 * The answer to adding an id that was removed: etcd's, word for word
 * (NOT_FOUND), which etcd clients and raftctl recognise.
 */
export const MEMBER_ID_REMOVED = 'etcdserver: member not found';

/** A learner further behind the leader than this many entries is not promoted. */
const PROMOTE_MAX_LAG = 1000;

const ROLE: Record<StateRole, adminv1.Role> = {
  [StateRole.Follower]: adminv1.Role.FOLLOWER,
  [StateRole.PreCandidate]: adminv1.Role.PRE_CANDIDATE,
  [StateRole.Candidate]: adminv1.Role.CANDIDATE,
  [StateRole.Leader]: adminv1.Role.LEADER,
};

const PROGRESS: Record<ProgressState, adminv1.ProgressState> = {
  [ProgressState.Probe]: adminv1.ProgressState.PROBE,
  [ProgressState.Replicate]: adminv1.ProgressState.REPLICATE,
  [ProgressState.Snapshot]: adminv1.ProgressState.SNAPSHOT,
};

function unary<Req, Res>(ctx: ServiceContext, body: (req: Req) => Promise<Res> | Res) {
  return unaryHandler(ctx.authorize, body, (e) => ctx.logger.debug({ err: e }, 'admin request failed'));
}

/** This member's status in the admin API's terms. */
export function memberStatus(ctx: ServiceContext): adminv1.MemberStatus {
  const s = ctx.node.status();
  const lastIndex = s.lastIndex;
  const progress: adminv1.PeerProgress[] = [];
  for (const [id, p] of s.progress ?? []) {
    progress.push({
      id,
      match: p.match,
      next: p.next,
      state: PROGRESS[p.state],
      isLearner: p.isLearner,
      recentActive: p.recentActive,
      paused: p.paused,
      lag: Math.max(0, lastIndex - p.match),
      pendingSnapshot: p.pendingSnapshot,
      inflightMessages: p.inflightMessages,
    });
  }
  return {
    clusterId: ctx.clusterId,
    memberId: ctx.config.id,
    name: ctx.directory.info(ctx.config.id).name,
    role: ROLE[s.role],
    term: s.hardState.term,
    leaderId: s.lead,
    commitIndex: s.hardState.commit,
    appliedIndex: s.applied,
    firstIndex: s.firstIndex,
    lastIndex,
    snapshotIndex: s.snapshotIndex,
    dbSizeBytes: dbSize(ctx),
    isLearner: !s.config.voters.includes(ctx.config.id) && !s.config.votersOutgoing.includes(ctx.config.id),
    leadTransferee: s.leadTransferee,
    progress,
    version: ctx.version,
  };
}

function members(ctx: ServiceContext): adminv1.Member[] {
  return ctx.directory.members(ctx.node.raw.raft.trk.confState()).map((m) => ({
    id: m.id,
    name: m.name,
    peerAddress: m.peerUrls[0] ?? '',
    clientAddress: m.clientUrls[0] ?? '',
    isLearner: m.isLearner,
  }));
}

function requireId(id: number): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw grpcError(status.INVALID_ARGUMENT, `member id ${id} is not valid; expected a positive integer`);
}

/** How long a membership change waits for an earlier one to be applied. */
const PENDING_CHANGE_WAIT_MS = 5000;

/**
 * Proposes a membership change, waiting while an earlier change is still
 * being applied. Raft allows one pending change at a time, and a new leader
 * counts everything in its log at election as possibly pending until it has
 * applied it (etcd does the same), so a change that arrives moments after
 * another one, or right after a leadership transfer, would otherwise be
 * refused although nothing is wrong. A change still refused after
 * {@link PENDING_CHANGE_WAIT_MS} fails with the core's error. `recheck`
 * runs again before each retry, after a linearizable read (the change that
 * was pending may have made this one invalid: removed the member it adds).
 */
async function proposeWhenNonePending(ctx: ServiceContext, changes: ConfChangeSingle[], context: Uint8Array, recheck?: () => void): Promise<void> {
  const deadline = Date.now() + PENDING_CHANGE_WAIT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      await ctx.node.proposeConfChange({ transition: ConfChangeTransition.Auto, changes, context });
      return;
    } catch (e) {
      const pending = e instanceof ProposalDroppedError && e.reason === 'conf-change-pending';
      if (!pending || Date.now() + pause > deadline) throw e;
      ctx.logger.debug({ reason: e.message }, 'membership change waits for the pending one');
      await new Promise((r) => setTimeout(r, pause));
      if (recheck) {
        await ctx.node.read();
        recheck();
      }
    }
  }
}

async function changeMembership(ctx: ServiceContext, changes: ConfChangeSingle[], context: Uint8Array, recheck?: () => void): Promise<void> {
  await proposeWhenNonePending(ctx, changes, context, recheck);
  // Reflect the change in the transport at once (new, re-addressed or removed peers).
  ctx.directory.syncTransport(ctx.transport, ctx.node.raw.raft.trk.confState());
}

/** Builds the admin service. */
export function adminService(ctx: ServiceContext): adminv1.AdminServer {
  const known = () => ctx.node.raw.raft.trk.confState();
  const isMember = (id: number) => {
    const cs = known();
    return [...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext].includes(id);
  };
  return {
    status: unary<adminv1.StatusRequest, adminv1.StatusResponse>(ctx, () => ({ status: memberStatus(ctx) })),

    watchStatus: (call: ServerWritableStream<adminv1.WatchStatusRequest, adminv1.WatchStatusResponse>) => {
      try {
        ctx.authorize(call.metadata);
      } catch (e) {
        call.destroy(toGrpcError(e));
        return;
      }
      const every = Math.max(100, call.request.minIntervalMs || 500);
      let last = '';
      const send = (): void => {
        const status = memberStatus(ctx);
        const key = JSON.stringify({ ...status, dbSizeBytes: 0 });
        if (key !== last) {
          last = key;
          call.write({ status });
        }
      };
      send();
      const timer = setInterval(send, every);
      const stop = (): void => clearInterval(timer);
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    },

    listMembers: unary<adminv1.ListMembersRequest, adminv1.ListMembersResponse>(ctx, async (req) => {
      if (req.linearizable) await ctx.node.read();
      return { clusterId: ctx.clusterId, members: members(ctx) };
    }),

    addMember: unary<adminv1.AddMemberRequest, adminv1.AddMemberResponse>(ctx, async (req) => {
      requireId(req.id);
      // The registry as of a linearizable read, so a removal committed before this call counts.
      await ctx.node.read();
      const refuse = (): void => {
        // Raft requires a member that lost its state to come back under a
        // new id: etcd refuses a removed id (membership.ErrIDRemoved) with
        // rpctypes.ErrGRPCMemberNotFound, and so does raftkit.
        if (isRemoved(ctx.sm.readTable(), req.id)) throw grpcError(status.NOT_FOUND, MEMBER_ID_REMOVED);
        if (isMember(req.id)) throw grpcError(status.ALREADY_EXISTS, `member ${req.id} is already in the cluster`);
      };
      refuse();
      if (!req.peerAddress) throw grpcError(status.INVALID_ARGUMENT, `member ${req.id} needs a peer address (host:port) so the others can reach it`);
      const context = encodeMemberContext({
        ...(req.name ? { name: req.name } : {}),
        peerUrls: [req.peerAddress],
        ...(req.clientAddress ? { clientUrls: [req.clientAddress] } : {}),
      });
      await changeMembership(ctx, [{ type: req.asLearner ? ConfChangeType.AddLearner : ConfChangeType.AddVoter, nodeId: req.id }], context, refuse);
      const all = members(ctx);
      return { member: all.find((m) => m.id === req.id), members: all };
    }),

    removeMember: unary<adminv1.RemoveMemberRequest, adminv1.RemoveMemberResponse>(ctx, async (req) => {
      requireId(req.id);
      if (!isMember(req.id)) throw grpcError(status.NOT_FOUND, `member ${req.id} is not in the cluster`);
      const cs = known();
      if (cs.voters.length === 1 && cs.voters[0] === req.id) throw grpcError(status.FAILED_PRECONDITION, `member ${req.id} is the only voter; a cluster cannot remove its last voter`);
      await changeMembership(ctx, [{ type: ConfChangeType.RemoveNode, nodeId: req.id }], new Uint8Array());
      return { members: members(ctx) };
    }),

    promoteMember: unary<adminv1.PromoteMemberRequest, adminv1.PromoteMemberResponse>(ctx, async (req) => {
      requireId(req.id);
      const cs = known();
      if (!cs.learners.includes(req.id)) {
        throw grpcError(isMember(req.id) ? status.FAILED_PRECONDITION : status.NOT_FOUND, `member ${req.id} is not a learner`);
      }
      const s = ctx.node.status();
      const pr = s.progress?.get(req.id);
      if (pr && s.lastIndex - pr.match > PROMOTE_MAX_LAG) {
        throw grpcError(status.FAILED_PRECONDITION, `learner ${req.id} is ${s.lastIndex - pr.match} entries behind the leader; promote it once it has caught up`);
      }
      await changeMembership(ctx, [{ type: ConfChangeType.AddVoter, nodeId: req.id }], new Uint8Array());
      return { members: members(ctx) };
    }),

    updateMember: unary<adminv1.UpdateMemberRequest, adminv1.UpdateMemberResponse>(ctx, async (req) => {
      requireId(req.id);
      if (!isMember(req.id)) throw grpcError(status.NOT_FOUND, `member ${req.id} is not in the cluster`);
      const context = encodeMemberContext({
        ...(req.name !== undefined ? { name: req.name } : {}),
        ...(req.peerAddress !== undefined ? { peerUrls: [req.peerAddress] } : {}),
        ...(req.clientAddress !== undefined ? { clientUrls: [req.clientAddress] } : {}),
      });
      await changeMembership(ctx, [{ type: ConfChangeType.UpdateNode, nodeId: req.id }], context);
      return { members: members(ctx) };
    }),

    transferLeadership: unary<adminv1.TransferLeadershipRequest, adminv1.TransferLeadershipResponse>(ctx, async (req) => {
      requireId(req.targetId);
      const cs = known();
      if (!cs.voters.includes(req.targetId)) {
        throw grpcError(isMember(req.targetId) ? status.FAILED_PRECONDITION : status.NOT_FOUND, `member ${req.targetId} is not a voter of the cluster`);
      }
      await ctx.node.transferLeadership(req.targetId);
      return { leaderId: ctx.node.raw.raft.lead, term: ctx.node.raw.raft.term };
    }),

    takeSnapshot: unary<adminv1.TakeSnapshotRequest, adminv1.TakeSnapshotResponse>(ctx, async () => {
      const index = await ctx.node.takeSnapshot();
      const info = ctx.storage.snapshots.list().find((f) => f.metadata.index === index);
      return { index, term: info?.metadata.term ?? 0, sizeBytes: info?.size ?? 0 };
    }),

    saveSnapshot: (call: ServerWritableStream<adminv1.SaveSnapshotRequest, adminv1.SaveSnapshotResponse>) => {
      // A client that goes away must not leave the snapshot file open.
      let cancelled = false;
      let wake: (() => void) | undefined;
      call.on('cancelled', () => {
        cancelled = true;
        wake?.();
      });
      void (async () => {
        ctx.authorize(call.metadata);
        const index = await ctx.node.takeSnapshot();
        const latest = ctx.storage.snapshots.latest();
        if (!latest || latest.index < index) throw grpcError(status.UNAVAILABLE, 'no snapshot is available yet');
        const reader = await ctx.storage.snapshots.openReader(latest);
        try {
          call.write({
            frame: { $case: 'info', value: { index: latest.index, term: latest.term, confState: latest.confState, totalSize: reader.size } },
          });
          const sha = createHash('sha256');
          for await (const chunk of reader) {
            if (cancelled) return;
            sha.update(chunk);
            // Respect the client's pace: wait when the stream buffer is full.
            if (!call.write({ frame: { $case: 'chunk', value: chunk } })) {
              await new Promise<void>((r) => {
                wake = r;
                call.once('drain', r);
              });
            }
          }
          if (cancelled) return;
          call.write({ frame: { $case: 'sha256', value: sha.digest() } });
          call.end();
        } finally {
          await reader.close();
        }
      })().catch((e: unknown) => call.destroy(toGrpcError(e)));
    },

    compact: unary<adminv1.CompactRequest, adminv1.CompactResponse>(ctx, async (req) => {
      // The key-value state lives in the log's LMDB environment, so what is
      // applied needs no snapshot to be discarded from the log; a follower
      // that then needs those entries gets a snapshot built for it.
      const applied = ctx.node.status().applied;
      const target = req.index === 0 ? applied : req.index;
      if (target > applied) {
        throw grpcError(status.FAILED_PRECONDITION, `cannot compact the log through ${target}: only ${applied} entries are applied on this member`);
      }
      if (target >= ctx.storage.log.firstIndex()) await ctx.storage.log.compact(target);
      return { firstIndex: ctx.storage.log.firstIndex() };
    }),

    hash: unary<adminv1.HashRequest, adminv1.HashResponse>(ctx, () => {
      const h = ctx.sm.hash();
      return { appliedIndex: h.appliedIndex, hash: Buffer.from(h.hash, 'hex'), keyCount: h.keys, revision: h.revision };
    }),
  };
}
