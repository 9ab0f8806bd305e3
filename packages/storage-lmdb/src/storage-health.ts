import type { RootDatabase } from 'lmdb';
import { StorageCorruptionError, StorageFailedError, StorageUsageError } from './errors.js';

/** Default of `RaftStorageOptions.flushTimeoutMs`: far beyond any healthy disk's flush. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 60_000;

/** Node's timers overflow (and fire at once) beyond this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  /** The refusal of a write attempted inside the one in progress. */
  private nested: StorageUsageError | undefined;

  constructor(
    readonly dataDir: string,
    /** How long {@link flushed} waits before it gives the disk up. */
    private readonly flushTimeoutMs = DEFAULT_FLUSH_TIMEOUT_MS,
  ) {}

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
    this.refuseNesting(what);
    this.writing = what;
    try {
      const result = body();
      // A nested write refused inside `body` (and perhaps swallowed there,
      // an un-awaited promise) fails the outer one too.
      if (this.nested) throw this.nested;
      return result;
    } catch (e) {
      throw this.fail(e);
    } finally {
      this.writing = undefined;
      this.nested = undefined;
    }
  }

  private refuseNesting(what: string): void {
    if (this.writing === undefined) return;
    const error = new StorageUsageError(`cannot ${what} from inside ${this.writing}: storage writes must not nest`);
    this.nested ??= error;
    throw error;
  }

  /**
   * {@link write}, queued on lmdb-js's write thread instead of committing on
   * the caller's: resolves once the transaction is committed (visible to
   * reads), not yet flushed — await `root.flushed` for that. Bodies queued
   * in the same event-loop turn share one LMDB transaction, so they cost one
   * commit and one flush; each runs as a child transaction, so a throw
   * undoes only its own writes (and fails the store, which refuses every
   * body queued after it).
   */
  async writeQueued<T>(what: string, root: RootDatabase, body: () => T): Promise<T> {
    this.check();
    this.refuseNesting(what);
    try {
      return await root.childTransaction(() => this.write(what, body));
    } catch (e) {
      throw this.fail(e);
    }
  }

  /**
   * Resolves once every write committed so far is on disk (`root.flushed`).
   * lmdb-js never rejects that promise when a sync fails: it prints the
   * error and leaves the flush pending forever, while the commit already
   * moved the in-memory view. So a flush still pending after
   * `flushTimeoutMs` fails the store and rejects, rather than leaving the
   * caller (and the member) waiting without end.
   * @throws StorageFailedError (as a rejection) when the flush takes longer
   */
  async flushed(root: RootDatabase): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const stalled = new Error(`a flush to disk has not finished after ${this.flushTimeoutMs} ms (lmdb-js reports a failed sync only on stderr)`);
        this.fail(stalled);
        reject(new StorageFailedError(this.dataDir, stalled));
      }, Math.min(this.flushTimeoutMs, MAX_TIMER_MS));
      timer.unref();
    });
    try {
      await Promise.race([root.flushed, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  }
}
