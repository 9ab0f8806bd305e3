#!/usr/bin/env node
/**
 * `raftctl`: the command-line client of a raftkit cluster. Runs one command,
 * reports a failure as one line on stderr (a stack trace only with
 * --debug), and exits with a documented code (`raftctl --help`), also when
 * the reader of its output goes away early.
 */
import { type Command, CommanderError } from 'commander';
import { type CliError, asCliError, formatErrorLine, usageError } from './cli/errors.js';
import { ExitCode } from './cli/exit-codes.js';
import { debugRequested } from './cli/globals.js';
import { flushed, guardOutputStreams, outputFailure } from './cli/output.js';
import { actionExitCode } from './cli/session.js';
import { dropIpServernameWarning } from './cli/warnings.js';
import { buildProgram } from './program.js';

/** The subcommand path the arguments name (for "run ... --help" hints). */
function commandPath(program: Command, argv: readonly string[]): string {
  const names = ['raftctl'];
  let cmd = program;
  for (const arg of argv) {
    if (arg === '--') break;
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) continue;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(' ');
}

/** Prints `err` on stderr as one line (and its stack trace with --debug); returns its exit code. */
function report(err: CliError, argv: readonly string[]): ExitCode {
  process.stderr.write(`${formatErrorLine(err)}\n`);
  if (debugRequested(argv)) process.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack ?? ''}\n`);
  return err.exitCode;
}

function fromCommander(e: CommanderError, path: string): CliError {
  const text = e.message.replace(/^error: /, '').replace(/\n+/g, ' ').trim();
  return usageError(text, `Run '${path} --help' for usage.`);
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return actionExitCode() ?? ExitCode.Ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through the same exception, successfully.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return ExitCode.Ok;
      // A group without a subcommand (`raftctl member`) shows its help, as kubectl does.
      if (e.code === 'commander.help') return ExitCode.Usage;
    }
    return report(e instanceof CommanderError ? fromCommander(e, commandPath(program, argv)) : asCliError(e), argv);
  }
}

// `pnpm raftctl ...` runs this script in the package's directory; relative paths
// (./.raftkit-local, snapshot files) belong to the directory the user typed it in.
if (process.env.npm_lifecycle_event === 'raftctl' && process.env.npm_package_name === '@raftkit/admin' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}

guardOutputStreams();
dropIpServernameWarning();
const argv = process.argv.slice(2);
let code = await main(argv);
// Exit explicitly once output is flushed: a stray handle (a gRPC channel being torn down)
// must not keep a finished command alive.
await flushed(process.stdout);
await flushed(process.stderr);
// A command that did its work but could not print the result still fails.
const lost = outputFailure();
if (lost && code === ExitCode.Ok) {
  code = report(lost, argv);
  await flushed(process.stderr);
}
process.exit(code);
