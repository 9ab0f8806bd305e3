/**
 * What one command runs with: its global options and the connections it
 * opens, closed when it ends whatever happens.
 */
import type { Command } from 'commander';
import { Connections } from '../grpc/connections.js';
import { type GlobalOptions, globalsOf } from './globals.js';
import type { ExitCode } from './exit-codes.js';

/** The context of a running command. */
export interface Session {
  readonly globals: GlobalOptions;
  readonly conns: Connections;
}

/** The exit code a command's action ends with (when it does not throw). */
let exitCode: ExitCode | undefined;

/** The exit code the last action asked for (0 when it said nothing). */
export function actionExitCode(): ExitCode | undefined {
  return exitCode;
}

/**
 * Wraps a command body: builds the session from the command's flags, runs
 * the body, closes the connections, and records the body's exit code.
 */
export async function runSession(cmd: Command, body: (s: Session) => Promise<ExitCode | void>): Promise<void> {
  const globals = globalsOf(cmd);
  const conns = new Connections({ timeoutMs: globals.timeoutMs, tls: globals.tls, authToken: globals.authToken });
  try {
    const code = await body({ globals, conns });
    if (code !== undefined) exitCode = code;
  } finally {
    conns.close();
  }
}
