import type { Entry, Raft } from '@raftkit/core';
import type { CommitDecision } from './commit-quorum.js';

/** What {@link observeCore} reports. */
export interface CoreObserver {
  /** Entries were appended to the log (a contiguous run), after an entry of term `prevTerm` (undefined when compacted). */
  onAppend(entries: readonly Entry[], prevTerm: number | undefined): void;
  /** The member, as leader, advanced its commit index. */
  onCommit(decision: CommitDecision): void;
}

/**
 * Lets the simulator watch the two moments its checks are about, inside a
 * step, where they happen: an entry entering a member's log, and a leader
 * deciding that entries are committed (with the configuration it counted
 * at that moment, which may change later in the same step). Observation
 * only: the core's behaviour is unchanged. Installed on each new Raft
 * object, after any broken rule, so a broken decision is observed too.
 */
export function observeCore(raft: Raft, observer: CoreObserver): void {
  const log = raft.raftLog;
  const append = log.append.bind(log);
  log.append = (ents: Entry[]): number => {
    const last = append(ents);
    if (ents.length > 0) observer.onAppend(ents, log.maybeTerm(ents[0]!.index - 1));
    return last;
  };
  // Only a leader counts replicas to commit (followers learn the commit index): this is its decision.
  const maybeCommit = log.maybeCommit.bind(log);
  log.maybeCommit = (index: number, term: number): boolean => {
    const before = log.committed;
    const moved = maybeCommit(index, term);
    if (moved) {
      const terms: number[] = [];
      for (let i = before + 1; i <= log.committed; i++) terms.push(log.termOrZero(i));
      const voters = raft.trk.config.voters;
      observer.onCommit({
        leader: raft.id,
        term: raft.term,
        from: before + 1,
        to: log.committed,
        terms,
        incoming: [...voters.incoming.ids],
        outgoing: [...voters.outgoing.ids],
      });
    }
    return moved;
  };
}
