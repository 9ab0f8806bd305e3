/**
 * The data format of snapshots taken by the state machine helper: the
 * magic bytes, then every key/value record of the state table in key
 * order, each as `key length (4) | key | value length (4) | value`. Empty
 * data stands for an empty state (the bootstrap snapshot has no bytes).
 * Integrity is the snapshot file's business (it is checksummed as a whole).
 */
import { StorageUsageError } from './errors.js';

/** The first bytes of non-empty state snapshot data. */
export const STATE_SNAPSHOT_MAGIC = Buffer.from('RKSTATE1', 'latin1');

/** One key/value pair of the state table. */
export interface StateRecord {
  key: Uint8Array;
  value: Uint8Array;
}

/** Turns records into chunks of about `chunkBytes`, for a snapshot writer. */
export class StateSnapshotEncoder {
  private buffer: Buffer;
  private used = 0;

  constructor(private readonly chunkBytes: number) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    STATE_SNAPSHOT_MAGIC.copy(this.buffer, 0);
    this.used = STATE_SNAPSHOT_MAGIC.length;
  }

  /** Adds a record; returns a full chunk when one is ready. */
  add(record: StateRecord): Buffer | undefined {
    const size = 8 + record.key.length + record.value.length;
    let full: Buffer | undefined;
    if (this.used + size > this.buffer.length && this.used > 0) {
      full = this.buffer.subarray(0, this.used);
      this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, size));
      this.used = 0;
    }
    const b = this.buffer;
    b.writeUInt32BE(record.key.length, this.used);
    b.set(record.key, this.used + 4);
    const v = this.used + 4 + record.key.length;
    b.writeUInt32BE(record.value.length, v);
    b.set(record.value, v + 4);
    this.used += size;
    return full;
  }

  /** The last, partial chunk. */
  finish(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}

/** Parses state snapshot data arriving in arbitrary chunks. */
export class StateSnapshotDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private sawMagic = false;
  private sawBytes = false;

  constructor(private readonly source: string) {}

  /** Feeds a chunk; returns the records it completes. */
  push(chunk: Uint8Array): StateRecord[] {
    if (chunk.length === 0) return [];
    this.sawBytes = true;
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    if (!this.sawMagic) {
      if (this.pending.length < STATE_SNAPSHOT_MAGIC.length) return [];
      if (!this.pending.subarray(0, STATE_SNAPSHOT_MAGIC.length).equals(STATE_SNAPSHOT_MAGIC)) {
        throw this.malformed(`it does not start with "${STATE_SNAPSHOT_MAGIC.toString('latin1')}"`);
      }
      this.sawMagic = true;
      this.pending = this.pending.subarray(STATE_SNAPSHOT_MAGIC.length);
    }
    const records: StateRecord[] = [];
    let at = 0;
    const p = this.pending;
    while (p.length - at >= 4) {
      const keyLength = p.readUInt32BE(at);
      if (p.length - at < 8 + keyLength) break;
      const valueLength = p.readUInt32BE(at + 4 + keyLength);
      const end = at + 8 + keyLength + valueLength;
      if (p.length < end) break;
      records.push({ key: p.subarray(at + 4, at + 4 + keyLength), value: p.subarray(at + 8 + keyLength, end) });
      at = end;
    }
    this.pending = p.subarray(at);
    return records;
  }

  /** Checks that the data ended on a record boundary. */
  end(): void {
    if (this.sawBytes && !this.sawMagic) throw this.malformed('it is shorter than its magic bytes');
    if (this.pending.length > 0) throw this.malformed(`it ends inside a record (${this.pending.length} bytes left over)`);
  }

  private malformed(detail: string): StorageUsageError {
    return new StorageUsageError(`snapshot ${this.source} is not state machine snapshot data: ${detail}`);
  }
}
