import type { LogFormat, LogLevel } from '@raftkit/config';
import type { RaftLogger } from '@raftkit/core';
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * The server's logger: JSON lines (one object per event, for log shippers),
 * or readable colored lines on a terminal. `auto` picks pretty output when
 * stdout is a TTY.
 */
export function createLogger(options: { level: LogLevel; format: LogFormat; memberId: number; destination?: NodeJS.WritableStream }): Logger {
  const dest = options.destination ?? process.stdout;
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && (dest as NodeJS.WriteStream).isTTY === true);
  const base = { level: options.level, base: { member: options.memberId } };
  if (!usePretty) return pino(base, dest);
  return pino(base, pretty({ destination: dest, colorize: (dest as NodeJS.WriteStream).isTTY === true, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
}

/** The core's logger interface on top of pino. */
export function raftLogger(logger: Logger): RaftLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
