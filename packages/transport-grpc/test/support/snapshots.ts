import { createHash } from 'node:crypto';
import type { SnapshotMetadata } from '@raftkit/core';
import type { SnapshotReader, SnapshotSink, SnapshotSource, SnapshotWriter } from '../../src/index.js';

/**
 * Deterministic snapshot bytes generated on the fly, `pieceBytes` at a time:
 * byte i of piece k is (k * 31 + i) & 0xff. Nothing larger than one piece is
 * ever held, whatever the total size.
 */
export function generatedSource(
  totalBytes: number,
  pieceBytes: number,
): SnapshotSource & { opened: number; closed: number; pulled: number } {
  const source = {
    opened: 0,
    closed: 0,
    /** Bytes the transport has taken from the current attempt so far. */
    pulled: 0,
    open(): SnapshotReader {
      source.opened++;
      source.pulled = 0;
      return {
        size: totalBytes,
        chunks: (async function* () {
          for (let off = 0, k = 0; off < totalBytes; off += pieceBytes, k++) {
            const piece = new Uint8Array(Math.min(pieceBytes, totalBytes - off));
            for (let i = 0; i < piece.length; i += 4096) piece[i] = (k * 31 + i) & 0xff;
            source.pulled += piece.length;
            yield piece;
          }
        })(),
        close: () => {
          source.closed++;
        },
      };
    },
  };
  return source;
}

/** SHA-256 of what {@link generatedSource} yields. */
export function generatedDigest(totalBytes: number, pieceBytes: number): string {
  const h = createHash('sha256');
  const piece = new Uint8Array(pieceBytes);
  for (let off = 0, k = 0; off < totalBytes; off += pieceBytes, k++) {
    const n = Math.min(pieceBytes, totalBytes - off);
    piece.fill(0);
    for (let i = 0; i < n; i += 4096) piece[i] = (k * 31 + i) & 0xff;
    h.update(piece.subarray(0, n));
  }
  return h.digest('hex');
}

/** A record of one snapshot a {@link HashingSink} received. */
export interface ReceivedSnapshot {
  metadata: SnapshotMetadata;
  from: number;
  bytes: number;
  sha256: string;
  outcome: 'open' | 'committed' | 'aborted';
  abortReason?: string;
}

/**
 * A sink that hashes and counts what it receives without keeping it, taking
 * a turn of the event loop every few chunks as a disk would. `failAt`
 * makes the n-th write of the first transfer throw; `onWrite` is called
 * after each write with the transfer's number (from 1) and its chunk count.
 */
export class HashingSink implements SnapshotSink {
  readonly received: ReceivedSnapshot[] = [];
  constructor(
    private readonly options: { failFirstAtChunk?: number; keep?: boolean; onWrite?: (transfer: number, chunks: number) => void } = {},
  ) {}

  begin(metadata: SnapshotMetadata, from: number): SnapshotWriter {
    const record: ReceivedSnapshot = { metadata, from, bytes: 0, sha256: '', outcome: 'open' };
    this.received.push(record);
    const first = this.received.length === 1;
    const transfer = this.received.length;
    const hash = createHash('sha256');
    const kept: Uint8Array[] = [];
    let chunks = 0;
    return {
      write: async (chunk) => {
        chunks++;
        if (first && chunks === this.options.failFirstAtChunk) throw new Error('disk full');
        hash.update(chunk);
        record.bytes += chunk.length;
        if (this.options.keep) kept.push(chunk.slice());
        this.options.onWrite?.(transfer, chunks);
        if (chunks % 4 === 0) await new Promise((r) => setImmediate(r));
      },
      commit: () => {
        record.sha256 = hash.digest('hex');
        record.outcome = 'committed';
        return this.options.keep ? Buffer.concat(kept) : undefined;
      },
      abort: (reason) => {
        record.outcome = 'aborted';
        record.abortReason = reason.message;
      },
    };
  }
}
