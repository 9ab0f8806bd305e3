import type { Raft, TransferOutcome } from './raft.js';
import type { ProgressState } from './tracker/progress.js';
import type { ConfState, HardState, StateRole } from './types.js';

/** What the leader knows about one member's replication. */
export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  /** Heard from since the last quorum check. */
  recentActive: boolean;
  /** Sending is paused (window full, probe outstanding or snapshot in flight). */
  paused: boolean;
  inflightMessages: number;
  inflightBytes: number;
  pendingSnapshot: number;
}

/** A point-in-time view of one member, for monitoring and admin tools. */
export interface Status {
  id: number;
  role: StateRole;
  /** The known leader of the current term, or 0. */
  lead: number;
  hardState: HardState;
  applied: number;
  firstIndex: number;
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
