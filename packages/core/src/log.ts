import { CompactedError, RaftInvariantError, UnavailableError } from './errors.js';
import { UnstableLog } from './log-unstable.js';
import type { RaftLogger } from './logger.js';
import type { LogStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { entriesEncodingSize, limitSize } from './util.js';

/**
 * A member's view of the log: the durable part in {@link LogStorage} followed
 * by the {@link UnstableLog}, plus the commit and apply positions.
 *
 * Invariant: `applied <= applying <= committed <= lastIndex()`.
 */
export class RaftLog {
  /** The entries (and snapshot) not yet known to be durable; the log continues there after storage. */
  readonly unstable: UnstableLog;
  /** Highest index known to be committed by a quorum. */
  committed: number;
  /** Highest index handed to the application for applying (in a Ready), not necessarily applied yet. */
  applying: number;
  /** Highest index the application has applied. */
  applied: number;
  /** Bytes of committed entries handed out for applying and not yet applied. */
  private applyingBytes = 0;
  private applyingPaused = false;

  /** A log over what `storage` holds: committed and applied start at its snapshot index, raised by the hard state and the applied index later. */
  constructor(
    readonly storage: LogStorage,
    private readonly logger: RaftLogger,
    /** Cap on the bytes of committed entries out for applying at once. */
    readonly maxApplyingBytes: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  /**
   * Handles the entries of an append from the leader: if our log matches at
   * (`prevIndex`, `prevTerm`), appends them (truncating a conflicting suffix),
   * advances the commit index to `min(leaderCommit, last new index)` and
   * returns that last new index; otherwise returns undefined.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`entry ${ci} conflicts with a committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (prevIndex + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Appends entries to the unstable log (truncating from their first index). Returns the new last index. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(`appending after ${after} would overwrite committed entries up to ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` that is missing from our log or
   * has a different term there; 0 when all of them are present and match.
   */
  findConflict(ents: readonly Entry[]): number {
    const last = this.lastIndex();
    for (const e of ents) {
      // Past our last index is the common case (plain appends): no lookup needed.
      if (e.index > last) return e.index;
      if (!this.matchTerm(e.index, e.term)) {
        this.logger.debug('found conflicting entry', { index: e.index, existingTerm: this.termOrZero(e.index), term: e.term });
        return e.index;
      }
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index `<= index` whose term is `<= term`,
   * with that term. Any entry of ours after it cannot match a log whose entry
   * at `index` has term `term`, since terms only grow along a log. Returns
   * the index with term 0 when the term there is unknown (compacted).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ourTerm = this.maybeTerm(index);
      if (ourTerm === undefined) return { index, term: 0 };
      if (ourTerm <= term) return { index, term: ourTerm };
    }
    return { index: 0, term: 0 };
  }

  /** Entries not yet handed out for persistence. */
  nextUnstableEntries(): Entry[] {
    return this.unstable.nextEntries();
  }

  /** True when there are entries not yet handed out for persistence. */
  hasNextUnstableEntries(): boolean {
    return this.unstable.offsetInProgress - this.unstable.offset < this.unstable.entries.length;
  }

  /** True while a snapshot waits for or is in persistence. */
  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The snapshot from the leader waiting to be handed out for persistence, if any. */
  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /**
   * Committed entries to hand to the application now: after `applying`, up
   * to the commit index, within the byte budget. Entries still being
   * persisted are included: the Ready contract has the application persist
   * before it applies.
   */
  nextCommittedEntries(): Entry[] {
    if (this.applyingPaused || this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    const budget = this.maxApplyingBytes - this.applyingBytes;
    if (budget <= 0) throw new RaftInvariantError(`applying budget exhausted (${this.applyingBytes} bytes out)`);
    return this.slice(lo, hi, budget);
  }

  /** True when committed entries are waiting to be handed to the application (and it is not over its apply budget). */
  hasNextCommittedEntries(): boolean {
    if (this.applyingPaused || this.hasNextOrInProgressSnapshot()) return false;
    return this.applying < this.committed;
  }

  /** The snapshot to send to a follower: a pending incoming one, or storage's latest. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** The first index of the log: after a pending incoming snapshot, else storage's first index. */
  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** The index of the last entry, durable or not. */
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term of the last entry: with {@link lastIndex}, what the election restriction compares (§5.4.1). */
  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Advances the commit index (never backwards). */
  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new RaftInvariantError(`commit index ${toCommit} is beyond the last index ${this.lastIndex()}: the log was corrupted, truncated or lost`);
      }
      this.committed = toCommit;
    }
  }

  /** The application applied up to `i`; `bytes` is the size of what it applied. */
  appliedTo(i: number, bytes: number): void {
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(`applied index ${i} is out of range [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
    this.applying = Math.max(this.applying, i);
    this.applyingBytes = this.applyingBytes > bytes ? this.applyingBytes - bytes : 0;
    this.applyingPaused = this.applyingBytes >= this.maxApplyingBytes;
  }

  /** Entries up to `i` weighing `bytes` were handed out for applying. */
  acceptApplying(i: number, bytes: number): void {
    if (this.committed < i) throw new RaftInvariantError(`applying index ${i} beyond commit ${this.committed}`);
    this.applying = i;
    this.applyingBytes += bytes;
    // Pause if over budget, or if the budget cut the batch short: the rest
    // comes once the application reports progress.
    this.applyingPaused = this.applyingBytes >= this.maxApplyingBytes || i < this.committed;
  }

  /** Entries up to `index` (of term `term`) are durable: storage serves them from now on. */
  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  /** The incoming snapshot at `index` is durable: storage serves it from now on. */
  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Marks everything unstable as handed out for persistence (a Ready carried it). */
  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  /**
   * The term of entry `i`.
   * @throws CompactedError / UnavailableError outside `[firstIndex() - 1, lastIndex()]`
   */
  term(i: number): number {
    const t = this.maybeTerm(i);
    if (t !== undefined) return t;
    const first = this.firstIndex();
    if (i + 1 < first) throw new CompactedError(i, first);
    throw new UnavailableError(i, this.lastIndex());
  }

  /** The term of entry `i`, or undefined when it is outside the log (no exception on the hot path). */
  maybeTerm(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (e) {
      // Storage may have compacted concurrently with our bounds check.
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  /** The term of entry `i`, or 0 when it is not in the log. */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  /** Entries from `i` to the end, within `maxBytes` (at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /**
   * Raft's election restriction (§5.4.1): a candidate whose last entry is
   * (`lastIndex`, `lastTerm`) is at least as up to date as we are.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** True if our log has an entry at `index` with term `term`. */
  matchTerm(index: number, term: number): boolean {
    return this.maybeTerm(index) === term;
  }

  /**
   * Commits up to `index` if the entry there is of term `term`: the leader
   * passes its current term, which implements the rule that only entries of
   * the leader's own term are committed by counting replicas (§5.4.2,
   * Figure 8). Returns whether the commit index moved.
   */
  maybeCommit(index: number, term: number): boolean {
    if (term !== 0 && index > this.committed && this.termOrZero(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  /** Replaces the log with an incoming snapshot. */
  restore(s: Snapshot): void {
    this.logger.info('log starts to restore snapshot', { index: s.metadata.index, term: s.metadata.term });
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Entries in `[lo, hi)` within `maxBytes` (at least one), from storage
   * and/or the unstable log.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const u = this.unstable;
    if (lo >= u.offset) return limitSize(u.slice(lo, hi), maxBytes);
    const cut = Math.min(hi, u.offset);
    const ents = this.storage.entries(lo, cut, maxBytes);
    if (hi <= u.offset) return ents;
    // Storage stopped early because of the byte limit: do not add more.
    if (ents.length < cut - lo) return ents;
    const size = entriesEncodingSize(ents);
    if (size >= maxBytes) return ents;
    const more = limitSize(u.slice(u.offset, hi), maxBytes - size);
    if (more.length === 1 && size + entriesEncodingSize(more) > maxBytes) return ents;
    return ents.concat(more);
  }

  private checkOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new RaftInvariantError(`slice [${lo}, ${hi}) out of bounds [${first}, ${last}]`);
  }
}
