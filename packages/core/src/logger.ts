/**
 * Where the core reports what it does. The shape fits pino's child loggers
 * after a one-line adapter; the default discards everything.
 */
export interface RaftLogger {
  /** Detail for debugging: each message handled, each vote counted. Off in production. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Changes worth knowing about: roles, elections, snapshots, membership. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something unusual the member copes with: a lost quorum, a refused proposal, a transfer timing out. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something wrong that needs attention: malformed input, misuse. */
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that discards everything. */
export const silentLogger: RaftLogger = { debug: noop, info: noop, warn: noop, error: noop };
