import type { Entry, Raft } from '@raftkit/core';
import { entryDigest } from './entry-digest.js';

interface KnownEntry {
  digest: string;
  /** Term of the entry before it; undefined while no log that held it showed it (compacted). */
  prevTerm: number | undefined;
  /** A member that holds it, for reports. */
  member: number;
}

/**
 * Log matching (paper §5.3), checked incrementally: if two logs hold an
 * entry with the same index and term, they are identical up to it. It
 * suffices that every (index, term) ever appended anywhere (a) always has
 * the same content and (b) always follows an entry of the same term: by
 * induction down the log, two logs that share (i, t) then share every
 * entry before it (down to a snapshot, below which "committed entries
 * never change" takes over). Only appended entries need checking, so the
 * cost per step is the size of what changed, not of the logs.
 */
export class LogMatchingCheck {
  private readonly known = new Map<number, Map<number, KnownEntry>>();
  /** Entries checked, for statistics. */
  checked = 0;

  /**
   * Checks entries just appended to member `id`'s log (a contiguous run),
   * right after an entry of term `prevTerm` (undefined when that entry is
   * compacted away). Returns a description of the violation, or undefined.
   */
  appended(id: number, entries: readonly Entry[], prevTerm: number | undefined): string | undefined {
    let prev = prevTerm;
    for (const e of entries) {
      const problem = this.record(id, e.index, e.term, entryDigest(e), prev);
      if (problem) return problem;
      prev = e.term;
    }
    return undefined;
  }

  /** Checks every entry of a log, as a member restarting from its storage holds it. */
  wholeLog(id: number, raft: Raft): string | undefined {
    const log = raft.raftLog;
    const first = log.firstIndex();
    const last = log.lastIndex();
    if (last < first) return undefined;
    return this.appended(id, log.slice(first, last + 1, Number.MAX_SAFE_INTEGER), log.maybeTerm(first - 1));
  }

  private record(id: number, index: number, term: number, digest: string, prevTerm: number | undefined): string | undefined {
    this.checked++;
    let terms = this.known.get(index);
    if (!terms) this.known.set(index, (terms = new Map()));
    const k = terms.get(term);
    if (!k) {
      terms.set(term, { digest, prevTerm, member: id });
      return undefined;
    }
    if (k.digest !== digest) {
      return `members ${k.member} and ${id} hold different entries at index ${index} of term ${term} (${k.digest} vs ${digest})`;
    }
    if (prevTerm !== undefined && k.prevTerm !== undefined && prevTerm !== k.prevTerm) {
      return `members ${k.member} and ${id} hold entry ${index} of term ${term} after entries of different terms (${k.prevTerm} vs ${prevTerm})`;
    }
    if (k.prevTerm === undefined) k.prevTerm = prevTerm;
    return undefined;
  }
}

/** One member's log for the whole-log comparisons. */
export interface LogView {
  /** The member's Raft id, for reports. */
  id: number;
  /** The member's current Raft instance, whose log (stable and unstable entries) is compared. */
  raft: Raft;
}

function entriesOf(v: LogView): { id: number; raft: Raft; first: number; last: number; ents: Entry[] } {
  const log = v.raft.raftLog;
  const first = log.firstIndex();
  const last = log.lastIndex();
  return { id: v.id, raft: v.raft, first, last, ents: last >= first ? log.slice(first, last + 1, Number.MAX_SAFE_INTEGER) : [] };
}

/**
 * Log matching across whole logs, pairwise: where two logs agree on the
 * term at some index, they hold identical entries up to it. Returns a
 * description of the violation, or undefined.
 */
export function compareLogs(views: readonly LogView[]): string | undefined {
  const logs = views.map(entriesOf);
  for (let a = 0; a < logs.length; a++) {
    for (let b = a + 1; b < logs.length; b++) {
      const A = logs[a]!;
      const B = logs[b]!;
      const lo = Math.max(A.first, B.first);
      const hi = Math.min(A.last, B.last);
      let matchAt = -1;
      for (let i = hi; i >= lo; i--) {
        if (A.ents[i - A.first]!.term === B.ents[i - B.first]!.term) {
          matchAt = i;
          break;
        }
      }
      for (let i = matchAt; i >= lo && matchAt >= 0; i--) {
        if (entryDigest(A.ents[i - A.first]!) !== entryDigest(B.ents[i - B.first]!)) {
          return `members ${A.id} and ${B.id} agree on the term at ${matchAt} but differ at ${i}`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Identical logs, as members must hold once the faults have stopped and
 * everything is replicated: the same last index, and the same entries
 * wherever two logs both still hold them (compaction may differ). Returns
 * a description of the difference, or undefined.
 */
export function identicalLogs(views: readonly LogView[]): string | undefined {
  const logs = views.map(entriesOf);
  const ref = logs[0];
  if (!ref) return undefined;
  for (const other of logs.slice(1)) {
    if (other.last !== ref.last) return `members ${ref.id} and ${other.id} end their logs at ${ref.last} and ${other.last}`;
    const lo = Math.max(ref.first, other.first);
    for (let i = lo; i <= ref.last; i++) {
      if (entryDigest(ref.ents[i - ref.first]!) !== entryDigest(other.ents[i - other.first]!)) {
        return `members ${ref.id} and ${other.id} hold different entries at index ${i}`;
      }
    }
    // Where one log is compacted, the other's entry at its boundary must have the boundary's term.
    const boundary = Math.max(ref.first, other.first) - 1;
    const a = ref.raft.raftLog.maybeTerm(boundary);
    const b = other.raft.raftLog.maybeTerm(boundary);
    if (a !== undefined && b !== undefined && a !== b) return `members ${ref.id} and ${other.id} differ in the term at ${boundary}`;
  }
  return undefined;
}
