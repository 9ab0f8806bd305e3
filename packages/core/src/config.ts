import { RaftUsageError } from './errors.js';
import { type RaftLogger, silentLogger } from './logger.js';
import type { RandomSource } from './random.js';
import { seededRandom } from './random.js';
import type { ReadOnlyOption } from './read-only.js';
import type { LogStorage } from './storage.js';

/** The parameters of one Raft member. Times are in ticks: the caller decides how long a tick is. */
export interface RaftConfig {
  /** This member's id: a positive integer, unique in the cluster. */
  id: number;
  /** Where the durable log is read from. */
  storage: LogStorage;
  /**
   * Minimum election timeout: a follower that hears nothing from a leader
   * for a random number of ticks in `[electionTick, electionTickMax)` starts
   * an election. Must be greater than `heartbeatTick`; 10× is typical.
   */
  electionTick: number;
  /** Exclusive upper bound of the randomized election timeout. Default `2 * electionTick`. */
  electionTickMax?: number;
  /** A leader sends heartbeats every `heartbeatTick` ticks. */
  heartbeatTick: number;
  /**
   * The last index the application applied before a restart; entries up to
   * it are not handed out again. 0 for a fresh start.
   */
  applied?: number;
  /** Byte limit of the entries in one append message (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Byte limit of committed entries handed to the application at once. Default 8 MiB. */
  maxCommittedSizePerReady?: number;
  /**
   * Byte limit of the leader's uncommitted log tail; proposals beyond it are
   * refused, so a leader that lost its quorum does not grow without bound.
   * Default 64 MiB.
   */
  maxUncommittedEntriesSize?: number;
  /** Most append messages in flight to one follower. Default 256. */
  maxInflightMsgs?: number;
  /** Most bytes in flight to one follower; at least `maxSizePerMsg`. Default 32 MiB. */
  maxInflightBytes?: number;
  /**
   * Entries kept in the log behind the latest snapshot, so a follower that
   * is only a little behind catches up from the log instead of a whole
   * snapshot. Default 5000.
   */
  logTailAfterSnapshot?: number;
  /** Most read-only requests a leader queues while confirming leadership. Default 10,000. */
  maxPendingReads?: number;
  /** Leader steps down when it has not heard from a quorum within an election timeout. Default true. */
  checkQuorum?: boolean;
  /** Run a pre-election (thesis §9.6) so a rejoining member does not disrupt the cluster. Default true. */
  preVote?: boolean;
  /** How read-only requests are served. Default `'safe'` (ReadIndex). */
  readOnlyOption?: ReadOnlyOption;
  /** Followers refuse proposals instead of forwarding them to the leader. Default false. */
  disableProposalForwarding?: boolean;
  /** Randomness for election timeouts. Default: seeded with the member id. */
  random?: RandomSource;
  /** Where to log. Default: nowhere. */
  logger?: RaftLogger;
}

/** A configuration with every default filled in and validated. */
export type ResolvedRaftConfig = Required<Omit<RaftConfig, 'applied'>> & { applied: number };

const MiB = 1024 * 1024;

/**
 * Fills in defaults and validates. Throws a {@link RaftUsageError} listing
 * every problem, each naming the field, its value and what is expected.
 */
export function resolveRaftConfig(c: RaftConfig): ResolvedRaftConfig {
  const maxSizePerMsg = c.maxSizePerMsg ?? MiB;
  const r: ResolvedRaftConfig = {
    id: c.id,
    storage: c.storage,
    electionTick: c.electionTick,
    electionTickMax: c.electionTickMax ?? 2 * c.electionTick,
    heartbeatTick: c.heartbeatTick,
    applied: c.applied ?? 0,
    maxSizePerMsg,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? 8 * MiB,
    maxUncommittedEntriesSize: c.maxUncommittedEntriesSize ?? 64 * MiB,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxInflightBytes: c.maxInflightBytes ?? Math.max(32 * MiB, maxSizePerMsg),
    maxPendingReads: c.maxPendingReads ?? 10_000,
    logTailAfterSnapshot: c.logTailAfterSnapshot ?? 5000,
    checkQuorum: c.checkQuorum ?? true,
    preVote: c.preVote ?? true,
    readOnlyOption: c.readOnlyOption ?? 'safe',
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    random: c.random ?? seededRandom(c.id),
    logger: c.logger ?? silentLogger,
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v <= 0) problems.push(`${name} is ${v}; expected a positive integer`);
  };
  positiveInt('id', r.id);
  positiveInt('heartbeatTick', r.heartbeatTick);
  positiveInt('electionTick', r.electionTick);
  positiveInt('electionTickMax', r.electionTickMax);
  positiveInt('maxSizePerMsg', r.maxSizePerMsg);
  positiveInt('maxCommittedSizePerReady', r.maxCommittedSizePerReady);
  positiveInt('maxUncommittedEntriesSize', r.maxUncommittedEntriesSize);
  positiveInt('maxInflightMsgs', r.maxInflightMsgs);
  positiveInt('maxInflightBytes', r.maxInflightBytes);
  positiveInt('maxPendingReads', r.maxPendingReads);
  if (!Number.isSafeInteger(r.logTailAfterSnapshot) || r.logTailAfterSnapshot < 0) {
    problems.push(`logTailAfterSnapshot is ${r.logTailAfterSnapshot}; expected a non-negative integer`);
  }
  if (!r.storage) problems.push('storage is missing; expected a LogStorage');
  if (r.electionTick <= r.heartbeatTick) {
    problems.push(`electionTick is ${r.electionTick}; expected more than heartbeatTick (${r.heartbeatTick})`);
  }
  if (r.electionTickMax <= r.electionTick) {
    problems.push(`electionTickMax is ${r.electionTickMax}; expected more than electionTick (${r.electionTick})`);
  }
  if (r.maxInflightBytes < r.maxSizePerMsg) {
    problems.push(`maxInflightBytes is ${r.maxInflightBytes}; expected at least maxSizePerMsg (${r.maxSizePerMsg})`);
  }
  if (r.readOnlyOption !== 'safe' && r.readOnlyOption !== 'lease') {
    problems.push(`readOnlyOption is ${String(r.readOnlyOption)}; expected 'safe' or 'lease'`);
  }
  if (r.readOnlyOption === 'lease' && !r.checkQuorum) {
    problems.push("readOnlyOption is 'lease' but checkQuorum is false; lease reads are only safe with checkQuorum");
  }
  if (problems.length > 0) throw new RaftUsageError(`invalid raft config: ${problems.join('; ')}`);
  return r;
}
