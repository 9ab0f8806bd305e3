/**
 * The ordered byte-keyed table the key-value store lives in. The server backs
 * it with the LMDB state table (so data and the applied index change in one
 * transaction); tests back it with {@link MemoryTable}.
 */
export interface KvRecord {
  key: Uint8Array;
  value: Uint8Array;
}

/** Bounds of a scan: `start` inclusive, `end` exclusive, compared bytewise. */
export interface ScanOptions {
  start?: Uint8Array;
  end?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

/** Reads of a {@link KvTable}. */
export interface KvTableReader {
  /** The value stored under exactly `key`, or undefined when the key is absent. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** The records whose keys fall within the bounds of `options`, in bytewise key order (or its reverse), at most `limit` of them. */
  range(options: ScanOptions): Iterable<KvRecord>;
}

/** Reads and writes of a {@link KvTable}. */
export interface KvTable extends KvTableReader {
  /** Stores `value` under `key`, replacing any value the key had. */
  put(key: Uint8Array, value: Uint8Array): void;
  /** Deletes `key` and its value; returns whether the key was there. */
  remove(key: Uint8Array): boolean;
}

/** Bytewise comparison, as LMDB orders binary keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** An in-memory {@link KvTable} (sorted array), for tests and tools. */
export class MemoryTable implements KvTable {
  private records: KvRecord[] = [];

  private find(key: Uint8Array): { found: boolean; at: number } {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compareBytes(this.records[mid]!.key, key);
      if (c === 0) return { found: true, at: mid };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { found: false, at: lo };
  }

  /** The value stored under exactly `key`, found by binary search; undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    const f = this.find(key);
    return f.found ? this.records[f.at]!.value : undefined;
  }

  /** Stores `value` under `key`, replacing the value of a key already there; a new key is inserted in order. */
  put(key: Uint8Array, value: Uint8Array): void {
    const f = this.find(key);
    if (f.found) this.records[f.at] = { key, value };
    else this.records.splice(f.at, 0, { key: key.slice(), value });
  }

  /** Deletes `key` and its value; returns whether the key was there. */
  remove(key: Uint8Array): boolean {
    const f = this.find(key);
    if (f.found) this.records.splice(f.at, 1);
    return f.found;
  }

  /** The records within the bounds of `options`, in key order or its reverse, at most `limit` of them. */
  *range(options: ScanOptions): Iterable<KvRecord> {
    const from = options.start ? this.find(options.start).at : 0;
    const to = options.end ? this.find(options.end).at : this.records.length;
    let n = 0;
    if (options.reverse) {
      for (let i = to - 1; i >= from; i--) {
        if (options.limit !== undefined && n++ >= options.limit) return;
        yield this.records[i]!;
      }
      return;
    }
    for (let i = from; i < to; i++) {
      if (options.limit !== undefined && n++ >= options.limit) return;
      yield this.records[i]!;
    }
  }

  /** Number of records (for tests). */
  get size(): number {
    return this.records.length;
  }
}
