/**
 * Where the core reports what it does. The shape fits pino's child loggers
 * after a one-line adapter; the default discards everything.
 */
export interface RaftLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that discards everything. */
export const silentLogger: RaftLogger = { debug: noop, info: noop, warn: noop, error: noop };
