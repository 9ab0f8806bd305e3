/**
 * Errors the core raises. Each has a stable `code` for programs and a message
 * that says what happened and what to do about it.
 */

/** Base class of every error thrown by `@raftkit/core`. */
export class RaftError extends Error {
  /** A stable identifier a program can switch on. */
  readonly code: string;
  /** An error with the stable `code` and a message saying what happened and what to do. */
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RaftError';
    this.code = code;
  }
}

/** Why a proposal was refused. */
export type ProposalDropReason =
  | 'no-leader'
  | 'forwarding-disabled'
  | 'leadership-transfer'
  | 'uncommitted-limit'
  | 'not-a-member'
  | 'conf-change-pending';

/**
 * A proposal (or a conf change, or a read) was not accepted into the log. It
 * was definitely not applied; the client may retry, ideally after a leader is
 * known again.
 */
export class ProposalDroppedError extends RaftError {
  /** Why it was refused; a program can decide from it whether and when to retry. */
  readonly reason: ProposalDropReason;
  /** A refusal for `reason`; the message is prefixed with "proposal dropped: ". */
  constructor(reason: ProposalDropReason, message: string) {
    super('ProposalDropped', `proposal dropped: ${message}`);
    this.name = 'ProposalDroppedError';
    this.reason = reason;
  }
}

/** The requested log index is older than the first index still in the log (it was compacted). */
export class CompactedError extends RaftError {
  /** Index `index` was asked for; the log now starts at `firstIndex`. */
  constructor(index: number, firstIndex: number) {
    super('Compacted', `log index ${index} is compacted: the log starts at ${firstIndex}; a snapshot is needed`);
    this.name = 'CompactedError';
  }
}

/** The requested log index is beyond the last index of the log. */
export class UnavailableError extends RaftError {
  /** Index `index` was asked for; the log ends at `lastIndex`. */
  constructor(index: number, lastIndex: number) {
    super('Unavailable', `log index ${index} is not available: the last index is ${lastIndex}`);
    this.name = 'UnavailableError';
  }
}

/** A snapshot older than the one the storage already has was offered. */
export class SnapshotOutOfDateError extends RaftError {
  /** A snapshot at `index` was offered where one at `current` (not older) is stored. */
  constructor(index: number, current: number) {
    super('SnapshotOutOfDate', `snapshot at index ${index} is older than the current snapshot at index ${current}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/**
 * The storage cannot produce a snapshot right now (it is being built); the
 * leader retries later.
 */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('SnapshotTemporarilyUnavailable', 'snapshot is temporarily unavailable; it will be retried');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** The caller broke the API contract (bad configuration, a local message from the network...). */
export class RaftUsageError extends RaftError {
  /** `message` names what was wrong and what is expected instead. */
  constructor(message: string) {
    super('Usage', message);
    this.name = 'RaftUsageError';
  }
}

/** A conf change that is invalid for the current membership. */
export class ConfChangeError extends RaftError {
  /** `message` says which configuration invariant the change would break. */
  constructor(message: string) {
    super('ConfChange', `invalid configuration change: ${message}`);
    this.name = 'ConfChangeError';
  }
}

/**
 * An internal invariant was violated: this is a bug in raftkit or a corrupted
 * storage. The member must stop; continuing could break safety.
 */
export class RaftInvariantError extends RaftError {
  /** `message` says which invariant failed, with the values involved. */
  constructor(message: string) {
    super('Invariant', `raft invariant violated: ${message}`);
    this.name = 'RaftInvariantError';
  }
}
