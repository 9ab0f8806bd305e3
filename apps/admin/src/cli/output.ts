/** Writing results: text for people, JSON (`--json`) for scripts; errors and progress go to stderr. */
import { CliError } from './errors.js';
import { ExitCode } from './exit-codes.js';

/** Streams a write failed on (see {@link guardOutputStreams}): raftctl prints nothing more there. */
const broken = new Set<NodeJS.WriteStream>();

/** The first failed write to stdout or stderr other than a closed pipe, and where. */
let lostOutput: { stream: 'stdout' | 'stderr'; error: NodeJS.ErrnoException } | undefined;

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!broken.has(stream)) stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prints a value as JSON on stdout. */
export function printJson(value: unknown): void {
  write(process.stdout, JSON.stringify(value, null, 2));
}

/** Prints lines of text on stdout. */
export function printText(text: string): void {
  write(process.stdout, text);
}

/** Prints a note (warnings, what happens next) on stderr, so stdout stays parseable. */
export function printNote(text: string): void {
  write(process.stderr, text);
}

/** Resolves once everything written to `stream` so far has been handed to the system. */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (broken.has(stream) || stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Keeps a failed write to stdout or stderr from crashing raftctl with a
 * stack trace: Node reports each failed write as an `error` event, which
 * kills the process when nobody listens. The stream is marked broken and
 * raftctl's own printing to it stops. When the reader went away (EPIPE:
 * `raftctl status | head -1`) that is all, and the command ends with its
 * own exit code, as well-behaved tools do; any other failure (a full disk
 * behind `> file`) is kept for {@link outputFailure}.
 */
export function guardOutputStreams(): void {
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      broken.add(stream);
      if (error.code !== 'EPIPE') lostOutput ??= { stream: name, error };
    });
  }
}

/** Whether a write to stdout failed (its reader went away, or worse): commands that only print, like watch, stop. */
export function stdoutClosed(): boolean {
  return broken.has(process.stdout);
}

/** The output that could not be written, other than to a closed pipe, as a local failure (exit 5). */
export function outputFailure(): CliError | undefined {
  if (!lostOutput) return undefined;
  const { stream, error } = lostOutput;
  return new CliError(ExitCode.Local, `cannot write to ${stream}: ${error.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '')}`, {
    cause: error,
    hint: `Check the file or device ${stream} goes to.`,
  });
}
