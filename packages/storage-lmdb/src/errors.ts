/**
 * Errors raised by `@raftkit/storage-lmdb`. Each says what was wrong, with
 * the value and what was expected, so an operator can act on the message
 * alone.
 */

/** Base class of every error thrown by this package. */
export class StorageError extends Error {
  /** A stable identifier a program can switch on. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/**
 * Stored Raft state is damaged: an entry whose checksum does not match, an
 * entry missing from the middle of the log, or an unreadable record. The
 * store refuses to serve anything after raising it, because answering from a
 * damaged log could make this member vote or acknowledge wrongly. Restore the
 * member from its peers (remove it from the cluster, wipe `dataDir`, add it
 * back).
 */
export class StorageCorruptionError extends StorageError {
  /** The data directory of the damaged store. */
  readonly dataDir: string;
  /** The log index of the damaged entry, when an entry is what is damaged. */
  readonly index: number | undefined;
  constructor(dataDir: string, index: number | undefined, detail: string) {
    const where = index === undefined ? '' : ` at log index ${index}`;
    super('Corruption', `raft storage in ${dataDir} is corrupted${where}: ${detail}; this member must not serve until it is rebuilt from its peers`);
    this.name = 'StorageCorruptionError';
    this.dataDir = dataDir;
    this.index = index;
  }
}

/** A snapshot file failed its checksum or is malformed. */
export class SnapshotCorruptionError extends StorageError {
  /** The damaged file. */
  readonly path: string;
  constructor(path: string, detail: string) {
    super('SnapshotCorruption', `snapshot file ${path} is corrupted: ${detail}`);
    this.name = 'SnapshotCorruptionError';
    this.path = path;
  }
}

/** The caller broke the API contract: bad input, a call in the wrong state, a closed store. */
export class StorageUsageError extends StorageError {
  constructor(message: string) {
    super('Usage', message);
    this.name = 'StorageUsageError';
  }
}

/**
 * An earlier write failed (or corruption was found), so the in-memory view
 * and the disk may disagree. Like PostgreSQL after a failed fsync, the store
 * stops: reopen it to continue from what is durable.
 */
export class StorageFailedError extends StorageError {
  constructor(dataDir: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('Failed', `raft storage in ${dataDir} stopped after an earlier failure (${why}); reopen it to continue from durable state`, { cause });
    this.name = 'StorageFailedError';
  }
}
