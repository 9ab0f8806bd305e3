import type { Entry } from '@raftkit/core';

/** How many of the newest entries {@link RecentEntries} keeps, whichever limit is reached first. */
export interface RecentEntriesLimits {
  maxEntries: number;
  maxBytes: number;
}

/** The default: enough for applying and for followers a little behind, small next to the process. */
export const DEFAULT_RECENT_ENTRIES: RecentEntriesLimits = { maxEntries: 8192, maxBytes: 8 * 1024 * 1024 };

/**
 * The newest log entries written, kept in memory so that applying them and
 * sending them to followers (both of which happen moments after the write)
 * need not read them back from LMDB, decode them and verify their checksums
 * again. Entries older than the limits are read from disk, verified, as
 * before. It mirrors the log's tail: a contiguous run of indexes, cut back
 * when the log is truncated and emptied when a snapshot replaces it.
 */
export class RecentEntries {
  private run: Entry[] = [];
  /** Position in `run` of the oldest entry kept (entries before it were evicted). */
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: RecentEntriesLimits = DEFAULT_RECENT_ENTRIES) {}

  /** The entry at `index`, if it is still kept. */
  get(index: number): Entry | undefined {
    if (this.run.length === this.head) return undefined;
    const at = index - this.run[this.head]!.index + this.head;
    return at >= this.head && at < this.run.length ? this.run[at] : undefined;
  }

  /**
   * Records entries just written (consecutive indexes). Entries the new
   * ones overwrite are dropped first; if they do not follow the kept run,
   * the run starts over with them.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    this.truncateFrom(first);
    if (this.run.length > this.head && this.run[this.run.length - 1]!.index !== first - 1) this.clear();
    for (const e of entries) {
      this.run.push(e);
      this.bytes += e.data.length;
    }
    this.evict();
  }

  /** Forgets entries at `index` and after (the log was truncated there). */
  truncateFrom(index: number): void {
    while (this.run.length > this.head && this.run[this.run.length - 1]!.index >= index) {
      this.bytes -= this.run.pop()!.data.length;
    }
  }

  /** Forgets everything (a snapshot replaced the log). */
  clear(): void {
    this.run = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** Number of entries kept. */
  get size(): number {
    return this.run.length - this.head;
  }

  private evict(): void {
    while (this.size > this.limits.maxEntries || (this.size > 1 && this.bytes > this.limits.maxBytes)) {
      this.bytes -= this.run[this.head]!.data.length;
      this.run[this.head] = undefined as unknown as Entry;
      this.head++;
    }
    // Drop the evicted slots now and then, so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.run.length) {
      this.run = this.run.slice(this.head);
      this.head = 0;
    }
  }
}
