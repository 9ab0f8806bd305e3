/**
 * What the append crash test expects on disk: the log the fixture was told
 * to acknowledge, replayed from the operations it announced.
 */
import { type Entry, EntryType, type HardState } from '@raftkit/core';
import { payload } from './entries.js';

/** One write the fixture performs: an append (maybe truncating) with a hard state, or a compaction. */
export type CrashOp =
  | { kind: 'append'; from: number; to: number; term: number; commit: number }
  | { kind: 'compact'; index: number };

/** Payload size of the entry at (index, term), so every stored entry can be checked on its own. */
export function crashEntrySize(index: number, term: number): number {
  return (index * 7 + term * 13) % 200;
}

/** The entries an append operation writes. */
export function crashEntries(op: Extract<CrashOp, { kind: 'append' }>): Entry[] {
  const out: Entry[] = [];
  for (let i = op.from; i <= op.to; i++) {
    out.push({ index: i, term: op.term, type: EntryType.Normal, data: payload(i, op.term, crashEntrySize(i, op.term)) });
  }
  return out;
}

/** The expected durable state: log extent, the term of every entry in it, and the hard state. */
export class CrashModel {
  first = 1;
  terms = new Map<number, number>();
  last = 0;
  hardState: HardState = { term: 0, vote: 0, commit: 0 };

  clone(): CrashModel {
    const m = new CrashModel();
    m.first = this.first;
    m.terms = new Map(this.terms);
    m.last = this.last;
    m.hardState = { ...this.hardState };
    return m;
  }

  apply(op: CrashOp): this {
    if (op.kind === 'append') {
      for (let i = op.from; i <= Math.max(op.to, this.last); i++) {
        if (i <= op.to) this.terms.set(i, op.term);
        else this.terms.delete(i);
      }
      this.last = op.to;
      this.hardState = { term: op.term, vote: 1, commit: op.commit };
    } else {
      for (let i = this.first; i <= op.index; i++) this.terms.delete(i);
      this.first = op.index + 1;
    }
    return this;
  }
}
