import { mix32 } from './hash.js';

/**
 * A frozen copy of an {@link OperationSet}: every word below `base` is all
 * ones and is not stored; `words` holds the rest up to the highest set bit.
 */
export interface OperationSetSnapshot {
  readonly base: number;
  readonly words: readonly number[];
}

const FULL = 0xffffffff;
const EMPTY: OperationSetSnapshot = { base: 0, words: [] };

/**
 * A set of operation indices in `[0, size)`, as a bitset that can be
 * snapshotted and compared cheaply.
 *
 * The search linearizes operations roughly in invocation order, so the set
 * is almost always "every operation below some index, plus a few more".
 * Snapshots therefore leave out the leading all-ones words, which keeps the
 * memo cache small and its comparisons short even for long histories. The
 * set also keeps an incrementally updated hash of its members.
 */
export class OperationSet {
  private readonly words: Uint32Array;
  /** Invariant: `words[0..full)` are all ones and `words[full]` is not (or does not exist). */
  private full = 0;
  /** Invariant: `words[used..]` are all zero and `words[used - 1]` is not (or `used` is 0). */
  private used = 0;
  private zobrist = 0;

  /** @param size - one more than the largest index the set will hold. */
  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** A 32-bit hash of the members; equal sets have equal hashes. */
  get hash(): number {
    return this.zobrist;
  }

  /** Whether `index` is a member. */
  has(index: number): boolean {
    return ((this.words[index >>> 5]! >>> (index & 31)) & 1) === 1;
  }

  /** Adds `index`, which must not be a member. */
  add(index: number): void {
    const w = index >>> 5;
    this.words[w] = this.words[w]! | (1 << (index & 31));
    this.zobrist = (this.zobrist ^ mix32(index)) >>> 0;
    if (w >= this.used) this.used = w + 1;
    while (this.full < this.used && this.words[this.full] === FULL) this.full++;
  }

  /** Removes `index`, which must be a member. */
  delete(index: number): void {
    const w = index >>> 5;
    this.words[w] = this.words[w]! & ~(1 << (index & 31));
    this.zobrist = (this.zobrist ^ mix32(index)) >>> 0;
    if (w < this.full) this.full = w;
    while (this.used > 0 && this.words[this.used - 1] === 0) this.used--;
  }

  /** A copy of the current members that later changes do not affect. */
  snapshot(): OperationSetSnapshot {
    if (this.used === 0) return EMPTY;
    // Plain arrays: the snapshots are usually one or two words, where typed arrays cost more to allocate.
    const words: number[] = [];
    for (let w = this.full; w < this.used; w++) words.push(this.words[w]!);
    return { base: this.full, words };
  }

  /** Whether the current members are exactly those of `snapshot`. */
  equals(snapshot: OperationSetSnapshot): boolean {
    if (snapshot.base !== this.full || snapshot.words.length !== this.used - this.full) return false;
    for (let i = 0; i < snapshot.words.length; i++) {
      if (snapshot.words[i] !== this.words[this.full + i]) return false;
    }
    return true;
  }

  /** Whether every member of `snapshot` is a current member. */
  includes(snapshot: OperationSetSnapshot): boolean {
    if (snapshot.base > this.full) return false;
    for (let i = 0; i < snapshot.words.length; i++) {
      const mine = this.words[snapshot.base + i] ?? 0;
      if ((snapshot.words[i]! & ~mine) !== 0) return false;
    }
    return true;
  }
}
