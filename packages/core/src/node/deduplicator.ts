import type { ProposalId } from './proposal-codec.js';

/** The persisted form of a {@link ProposalDeduplicator}. */
export interface DeduplicatorState {
  /** See {@link ProposalDeduplicator.window}. */
  window: number;
  /** See {@link ProposalDeduplicator.maxSessions}. */
  maxSessions: number;
  /** [member, epoch, max seq, recent seqs, last used index] per session. */
  sessions: Array<[number, number, number, number[], number]>;
}

interface Session {
  member: number;
  epoch: number;
  max: number;
  recent: Set<number>;
  lastUsed: number;
}

/**
 * Decides whether a committed proposal is applied for the first time
 * (Raft thesis §6.3). A network may deliver a forwarded proposal twice, and
 * the leader then appends it twice; applying it twice would break
 * linearizability (a write applied again after a later write). Every member
 * makes the same decision because the table is part of the replicated state:
 * keep it with the state machine's data, in its snapshots, and update it in
 * the same atomic write as the applied index.
 *
 * Each proposing member session (member id + epoch) remembers the sequence
 * numbers applied within a window below the highest one; anything older is
 * treated as already applied. Sessions idle the longest are forgotten first.
 *
 * @example
 * ```ts
 * for (const e of entries) {
 *   if (e.proposal && !dedup.firstTime(e.proposal, e.index)) continue; // already applied
 *   applyToData(e.payload);
 * }
 * ```
 */
export class ProposalDeduplicator {
  private readonly sessions = new Map<string, Session>();

  /**
   * @param window how many sequence numbers below a session's highest one
   *   are remembered; older ones count as applied, so a duplicate may not
   *   arrive later than this many proposals after its original
   * @param maxSessions how many proposing sessions are remembered; the idlest is forgotten first
   */
  constructor(
    readonly window = 4096,
    readonly maxSessions = 1024,
  ) {}

  /** Restores a table saved with {@link toState}. */
  static fromState(state: DeduplicatorState): ProposalDeduplicator {
    const d = new ProposalDeduplicator(state.window, state.maxSessions);
    for (const [member, epoch, max, recent, lastUsed] of state.sessions) {
      d.sessions.set(`${member}:${epoch}`, { member, epoch, max, recent: new Set(recent), lastUsed });
    }
    return d;
  }

  /**
   * Records proposal `id`, applied at log `index`. Returns true the first
   * time, false for a repeat (which must not be applied again).
   */
  firstTime(id: ProposalId, index: number): boolean {
    const key = `${id.member}:${id.epoch}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = { member: id.member, epoch: id.epoch, max: 0, recent: new Set(), lastUsed: index };
      this.sessions.set(key, s);
      this.evict();
    }
    s.lastUsed = index;
    if (id.seq <= s.max - this.window || s.recent.has(id.seq)) return false;
    s.recent.add(id.seq);
    if (id.seq > s.max) {
      s.max = id.seq;
      const floor = s.max - this.window;
      if (s.recent.size > this.window) for (const q of s.recent) if (q <= floor) s.recent.delete(q);
    }
    return true;
  }

  /** Number of sessions remembered. */
  get size(): number {
    return this.sessions.size;
  }

  /** A plain, deterministic (sorted) form for persistence and snapshots. */
  toState(): DeduplicatorState {
    const sessions = [...this.sessions.values()]
      .sort((a, b) => a.member - b.member || a.epoch - b.epoch)
      .map((s): [number, number, number, number[], number] => [s.member, s.epoch, s.max, [...s.recent].sort((x, y) => x - y), s.lastUsed]);
    return { window: this.window, maxSessions: this.maxSessions, sessions };
  }

  private evict(): void {
    while (this.sessions.size > this.maxSessions) {
      let oldest: [string, Session] | undefined;
      for (const entry of this.sessions) {
        const [, s] = entry;
        // Ties broken by key so every member evicts the same session.
        if (!oldest || s.lastUsed < oldest[1].lastUsed || (s.lastUsed === oldest[1].lastUsed && entry[0] < oldest[0])) oldest = entry;
      }
      this.sessions.delete(oldest![0]);
    }
  }
}
