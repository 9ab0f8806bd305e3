import type { Raft, TransferOutcome } from './raft.js';
import type { ProgressState } from './tracker/progress.js';
import type { ConfState, HardState, StateRole } from './types.js';

/** What the leader knows about one member's replication. */
export interface ProgressStatus {
  /** The highest index known to be replicated on the member (matchIndex, Raft paper Figure 2). */
  match: number;
  /** The index of the next entry to send it (nextIndex); always greater than `match`. */
  next: number;
  /** How the leader replicates to it: probing, pipelining, or sending a snapshot. */
  state: ProgressState;
  /** The member is a learner: it receives the log but does not vote. */
  isLearner: boolean;
  /** Heard from since the last quorum check. */
  recentActive: boolean;
  /** Sending is paused (window full, probe outstanding or snapshot in flight). */
  paused: boolean;
  /** Append messages sent to it and not yet acknowledged (bounded by `maxInflightMsgs`). */
  inflightMessages: number;
  /** Bytes of entries sent to it and not yet acknowledged (bounded by `maxInflightBytes`). */
  inflightBytes: number;
  /** In the snapshot state, the index of the snapshot being sent; 0 otherwise. */
  pendingSnapshot: number;
}

/** A point-in-time view of one member, for monitoring and admin tools. */
export interface Status {
  /** This member's id. */
  id: number;
  /** This member's role in the current term. */
  role: StateRole;
  /** The known leader of the current term, or 0. */
  lead: number;
  /** Term, vote and commit index (in memory; what is durable may lag by one Ready). */
  hardState: HardState;
  /** The highest index the application has applied; at most `hardState.commit`. */
  applied: number;
  /** The first index still in the log; entries before it are compacted. */
  firstIndex: number;
  /** The index of the last entry in the log, persisted or not. */
  lastIndex: number;
  /** The active membership. */
  config: ConfState;
  /** Target of an ongoing leadership transfer, or 0. */
  leadTransferee: number;
  /** How the last transfer started here went. */
  lastTransfer?: TransferOutcome;
  /** Leader only: every member's replication progress. */
  progress?: Map<number, ProgressStatus>;
}

/** Builds a {@link Status} from a Raft state machine. */
export function buildStatus(r: Raft): Status {
  const s: Status = {
    id: r.id,
    role: r.state,
    lead: r.lead,
    hardState: r.hardState(),
    applied: r.raftLog.applied,
    firstIndex: r.raftLog.firstIndex(),
    lastIndex: r.raftLog.lastIndex(),
    config: r.trk.confState(),
    leadTransferee: r.leadTransferee,
  };
  if (r.lastTransfer) s.lastTransfer = { ...r.lastTransfer };
  if (r.state === 'leader') {
    s.progress = new Map();
    r.trk.visit((id, pr) => {
      s.progress!.set(id, {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        recentActive: pr.recentActive,
        paused: pr.isPaused(),
        inflightMessages: pr.inflights.count,
        inflightBytes: pr.inflights.bytes,
        pendingSnapshot: pr.pendingSnapshot,
      });
    });
  }
  return s;
}
