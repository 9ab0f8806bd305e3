/**
 * The one kind of error raftctl reports: which endpoint, what happened, what
 * to try, and the exit code that classifies it. Everything that can go wrong
 * is turned into one of these before it reaches the user, so the output is
 * always a single line (a stack trace only with --debug).
 */
import { ExitCode } from './exit-codes.js';

/** What a {@link CliError} says besides its message. */
export interface CliErrorDetails {
  /** The endpoint (host:port) the failure concerns. */
  endpoint?: string;
  /** What the user can try, as one sentence. */
  hint?: string;
  /** The underlying error, shown with --debug. */
  cause?: unknown;
  /** For a failed request: whether it may have taken effect (see {@link Delivery}). */
  delivery?: Delivery;
}

/**
 * What a failed request did, which decides whether another endpoint may be
 * tried: `not-sent` never reached a member or was dropped unapplied (no
 * leader), `unknown` may have been applied (a deadline passed), `answered`
 * was refused for a reason another member would share.
 */
export type Delivery = 'not-sent' | 'unknown' | 'answered';

/** A failure to report to the user as one line, with an exit code. */
export class CliError extends Error {
  readonly endpoint: string | undefined;
  readonly hint: string | undefined;
  readonly delivery: Delivery;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    details: CliErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CliError';
    this.endpoint = details.endpoint;
    this.hint = details.hint;
    this.delivery = details.delivery ?? 'answered';
  }
}

/** A usage error (exit code 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(ExitCode.Usage, message, hint === undefined ? {} : { hint });
}

/** The single line printed for an error: `Error: <endpoint>: <what happened>. <what to try>` */
export function formatErrorLine(e: CliError): string {
  const where = e.endpoint ? `${e.endpoint}: ` : '';
  const what = e.message.replace(/[.\s]+$/, '');
  return `Error: ${where}${what}.${e.hint ? ` ${e.hint}` : ''}`.replace(/\s*\n\s*/g, ' ');
}

/** Any thrown value as a CliError; unexpected ones are local failures worth a --debug rerun. */
export function asCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string') {
    // A file system or process error: say which file and what the system said.
    const path = err.path ? `${err.path}: ` : '';
    return new CliError(ExitCode.Local, `${path}${err.message.replace(/^[A-Z]+: /, '')}`, { cause: e, hint: 'Check the path and its permissions.' });
  }
  return new CliError(ExitCode.Local, `unexpected failure: ${err?.message ?? String(e)}`, {
    cause: e,
    hint: 'Run again with --debug for the stack trace, and report it if it persists.',
  });
}
