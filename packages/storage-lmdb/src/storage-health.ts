import { StorageCorruptionError, StorageFailedError, StorageUsageError } from './errors.js';

/**
 * Whether a store may still be used. Shared by the parts of one store: once
 * any of them hits a failed write or finds corruption, all of them refuse to
 * serve, because their in-memory view may no longer match the disk.
 */
export class StorageHealth {
  private failure: unknown;
  private closed = false;
  /** Name of the write transaction in progress, to refuse writes started from inside another. */
  private writing: string | undefined;

  constructor(readonly dataDir: string) {}

  /** Throws unless the store is open and has not failed. */
  check(): void {
    if (this.failure !== undefined) {
      if (this.failure instanceof StorageCorruptionError) throw this.failure;
      throw new StorageFailedError(this.dataDir, this.failure);
    }
    if (this.closed) throw new StorageUsageError(`raft storage in ${this.dataDir} is closed`);
  }

  /** True once {@link markClosed} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses all further use. */
  markClosed(): void {
    this.closed = true;
  }

  /** Records a failure (the first one wins) and returns it for throwing. */
  fail<E>(error: E): E {
    if (this.failure === undefined) this.failure = error;
    return error;
  }

  /**
   * Runs `body`, a write transaction, after checking the store is usable; a
   * throw from it leaves the store failed. Writes may not nest: a write
   * started from inside another (say, `persist` called from a state machine
   * `apply` callback) would silently join the outer transaction and lose
   * its own durability point.
   */
  write<T>(what: string, body: () => T): T {
    this.check();
    if (this.writing !== undefined) {
      throw new StorageUsageError(`cannot ${what} from inside ${this.writing}: storage writes must not nest`);
    }
    this.writing = what;
    try {
      return body();
    } catch (e) {
      throw this.fail(e);
    } finally {
      this.writing = undefined;
    }
  }
}
