/**
 * The append messages sent to one follower and not yet acknowledged, as a
 * window bounded both in count and in bytes. While the window is full the
 * leader sends that follower nothing new (flow control).
 */
export class Inflights {
  // Parallel ring buffers: the last index carried by each message and its size.
  private indexes: number[] = [];
  private sizes: number[] = [];
  private start = 0;
  private countValue = 0;
  private bytesValue = 0;

  /**
   * @param maxCount most messages in flight at once
   * @param maxBytes most bytes in flight at once (Infinity for no limit)
   */
  constructor(
    readonly maxCount: number,
    readonly maxBytes: number,
  ) {}

  /** Messages currently in flight. */
  get count(): number {
    return this.countValue;
  }

  /** Bytes currently in flight. */
  get bytes(): number {
    return this.bytesValue;
  }

  /** A fresh, empty window with the same limits. */
  clone(): Inflights {
    const c = new Inflights(this.maxCount, this.maxBytes);
    c.indexes = this.indexes.slice();
    c.sizes = this.sizes.slice();
    c.start = this.start;
    c.countValue = this.countValue;
    c.bytesValue = this.bytesValue;
    return c;
  }

  /** Records a message whose last entry is `index` and whose entries weigh `bytes`. Indexes must increase. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights window');
    let next = this.start + this.countValue;
    const cap = this.indexes.length;
    if (next >= cap) {
      if (cap < this.maxCount) {
        this.grow();
        next = this.start + this.countValue;
      } else {
        next -= cap;
      }
    }
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.countValue++;
    this.bytesValue += bytes;
  }

  // Grows the ring buffer (doubling, capped at maxCount), unrolling it so start is 0.
  private grow(): void {
    const cap = this.indexes.length;
    const newCap = Math.min(Math.max(cap * 2, 1), this.maxCount);
    const idx = new Array<number>(newCap);
    const sz = new Array<number>(newCap);
    for (let i = 0; i < this.countValue; i++) {
      const j = (this.start + i) % Math.max(cap, 1);
      idx[i] = this.indexes[j]!;
      sz[i] = this.sizes[j]!;
    }
    this.indexes = idx;
    this.sizes = sz;
    this.start = 0;
  }

  /** Frees every message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    if (this.countValue === 0) return;
    const cap = this.indexes.length;
    let idx = this.start;
    let i = 0;
    let bytes = 0;
    for (; i < this.countValue; i++) {
      if (to < this.indexes[idx]!) break;
      bytes += this.sizes[idx]!;
      idx++;
      if (idx >= cap) idx -= cap;
    }
    this.countValue -= i;
    this.bytesValue -= bytes;
    this.start = idx;
    if (this.countValue === 0) this.start = 0;
  }

  /** True when no more messages may be sent. */
  full(): boolean {
    return this.countValue === this.maxCount || this.bytesValue >= this.maxBytes;
  }

  /** Forgets everything in flight. */
  reset(): void {
    this.countValue = 0;
    this.bytesValue = 0;
    this.start = 0;
  }
}
