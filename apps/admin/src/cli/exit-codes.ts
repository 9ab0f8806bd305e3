/**
 * The exit codes of raftctl. Scripts branch on them, so they are part of the
 * interface: documented in `raftctl --help` and the README, and never
 * renumbered.
 */
export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** The cluster is not healthy: no leader, members diverge, a snapshot arrived corrupted. */
  Unhealthy: 1,
  /** The command line is wrong: unknown command or flag, missing or bad value. */
  Usage: 2,
  /** An endpoint could not be reached or did not answer within --timeout. */
  Unreachable: 3,
  /** A member answered and refused the request (invalid, not found, not allowed, server error). */
  Refused: 4,
  /** Something failed on this machine: a file, or a local member process. */
  Local: 5,
  /** Stopped with Ctrl-C (128 + SIGINT, as shells report it). */
  Interrupted: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code table as `--help` and the README show it. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the cluster is not healthy: no leader, members diverge (check), a corrupted snapshot
  2    usage error: unknown command or flag, missing or invalid argument
  3    an endpoint is unreachable or did not answer within --timeout
  4    a member refused the request: invalid, not found, already exists, not allowed
  5    a local failure: a file could not be read or written, a local member did not start
  130  interrupted with Ctrl-C (watch exits 0)`;
