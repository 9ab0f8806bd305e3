import { RaftInvariantError } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The part of the log not yet known to be durable: entries (and possibly an
 * incoming snapshot) handed to the application for persistence or waiting
 * for the next Ready.
 *
 * Invariant: `entries[i].index === offset + i`. If `snapshot` is set,
 * `offset === snapshot.metadata.index + 1`. Entries before
 * `offsetInProgress` (and the snapshot, if `snapshotInProgress`) are being
 * written by the application right now.
 */
export class UnstableLog {
  /** A snapshot from the leader, not yet durable; the entries, if any, follow it. */
  snapshot: Snapshot | undefined;
  /** Entries not yet durable, from `offset` on. */
  entries: Entry[] = [];
  /** The index of `entries[0]` (one past the durable log when there are none). */
  offset: number;
  /** The snapshot has been handed out for persistence and its write may be under way. */
  snapshotInProgress = false;
  /** Entries before this index are handed out for persistence; `offset <= offsetInProgress <= offset + entries.length`. */
  offsetInProgress: number;

  /** An empty unstable log whose next entry will be at `offset`. */
  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index if a snapshot is pending (the entry after it). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  /** The last index held here, if any. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  /** The term of entry `i` if it is held here. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries not yet handed out for persistence. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (this.entries.length === inProgress) return [];
    return this.entries.slice(inProgress);
  }

  /** The snapshot not yet handed out for persistence. */
  nextSnapshot(): Snapshot | undefined {
    return this.snapshot && !this.snapshotInProgress ? this.snapshot : undefined;
  }

  /** Marks everything held here as handed out for persistence. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.entries[this.entries.length - 1]!.index + 1;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /**
   * Entries up to `index` (with term `term`) became durable and can be served
   * by storage. Ignored if that entry was replaced in the meantime.
   */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || index < this.offset || t !== term) return;
    const n = index + 1 - this.offset;
    this.entries = this.entries.slice(n);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  /** The snapshot at `index` became durable. */
  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  /** Replaces everything with an incoming snapshot. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /** Appends `ents`, truncating any held entries at or after `ents[0].index`. */
  truncateAndAppend(ents: Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (from <= this.offset) {
      // Everything held here is replaced; storage truncates its own suffix
      // when it persists these entries.
      this.entries = ents.slice();
      this.offset = from;
      this.offsetInProgress = this.offset;
    } else {
      this.entries = this.slice(this.offset, from).concat(ents);
      this.offsetInProgress = Math.min(this.offsetInProgress, from);
    }
  }

  /** Entries in `[lo, hi)`, which must lie within this unstable log. */
  slice(lo: number, hi: number): Entry[] {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) {
      throw new RaftInvariantError(`unstable slice [${lo}, ${hi}) out of bounds [${this.offset}, ${upper})`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
