import type { Clock, Message } from '@raftkit/core';

/**
 * The readable event trace of a run: one line per event, stamped with the
 * virtual time. Lines are always collected (a failing run prints them),
 * so every line must derive from the run alone, never from the machine.
 */
export class SimTrace {
  readonly lines: string[] = [];

  constructor(private readonly clock: Clock) {}

  /** Appends one line at the current virtual time. */
  add(line: string): void {
    this.lines.push(`[${this.clock.now().toFixed(1).padStart(8)}] ${line}`);
  }

  /** Appends a delivered message (with `--trace-messages`). */
  message(m: Message): void {
    this.add(`msg ${m.from}->${m.to} ${m.type} term=${m.term} index=${m.index} logTerm=${m.logTerm} entries=${m.entries.length} commit=${m.commit}${m.reject ? ' reject' : ''}`);
  }
}
