import type { Raft, Ready, RawNode } from '@raftkit/core';

/**
 * Rules of Raft the simulator can break on purpose, to prove its checks
 * catch the bug (a tester that never fails proves nothing):
 * - `double-vote`: a member grants its vote to every up-to-date candidate of
 *   a term, not just the first (paper §5.2).
 * - `vote-without-log-check`: a member votes for candidates whose log is
 *   behind its own (the election restriction, §5.4.1).
 * - `ack-before-persist`: votes and append acknowledgements leave before the
 *   state they promise is durable, so a crash can lose acknowledged entries
 *   (thesis §3.8).
 * - `stale-follower-reads`: followers serve reads from local state without
 *   ReadIndex (thesis §6.4); applied by the simulator's clients.
 * - `figure-8`: a leader commits an entry of an earlier term as soon as a
 *   majority holds it, by counting replicas (paper §5.4.2, Figure 8),
 *   instead of only through an entry of its own term.
 */
export type BreakableRule = 'double-vote' | 'vote-without-log-check' | 'ack-before-persist' | 'stale-follower-reads' | 'figure-8';

/** Every rule the simulator can break. */
export const BREAKABLE_RULES: readonly BreakableRule[] = ['double-vote', 'vote-without-log-check', 'ack-before-persist', 'stale-follower-reads', 'figure-8'];

interface RaftInternals {
  handleVoteRequest(m: unknown): void;
  vote: number;
  lead: number;
}

/** Breaks `rule` on one member (never on a real node). */
export function breakRule(rule: BreakableRule, node: RawNode): void {
  const raft: Raft = node.raft;
  switch (rule) {
    case 'double-vote': {
      const r = raft as unknown as RaftInternals;
      const original = r.handleVoteRequest.bind(r);
      r.handleVoteRequest = (m: unknown) => {
        const { vote, lead } = r;
        // Decide as if no vote had been cast in this term yet.
        r.vote = 0;
        r.lead = 0;
        original(m);
        if (r.vote === 0) r.vote = vote;
        if (r.lead === 0) r.lead = lead;
      };
      return;
    }
    case 'vote-without-log-check':
      raft.raftLog.isUpToDate = () => true;
      return;
    case 'ack-before-persist': {
      const ready = node.ready.bind(node);
      node.ready = (): Ready => {
        const rd = ready();
        return { ...rd, messages: [...rd.messages, ...rd.messagesAfterPersist], messagesAfterPersist: [] };
      };
      return;
    }
    case 'stale-follower-reads':
      return;
    case 'figure-8': {
      // The leader passes its own term so that only entries of that term are
      // committed by counting; pass the entry's own term instead, and any
      // entry a majority holds is committed.
      const log = raft.raftLog;
      const maybeCommit = log.maybeCommit.bind(log);
      log.maybeCommit = (index: number) => maybeCommit(index, log.termOrZero(index));
      return;
    }
  }
}
