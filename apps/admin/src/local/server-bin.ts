/**
 * Finds the raftkit server (`@raftkit/node`'s `dist/main.js`) that local
 * members run: an explicit path first, then the installed package, then the
 * repository layout next to this package.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';

/** Where the server may be, in the order tried; `explicit` is --server or RAFTCTL_SERVER. */
export function serverCandidates(explicit: string | undefined): string[] {
  const out: string[] = [];
  if (explicit) out.push(explicit);
  try {
    // Installed next to raftctl (a dependency, or the workspace link).
    out.push(fileURLToPath(import.meta.resolve('@raftkit/node/dist/main.js')));
  } catch {
    // Not resolvable from here; the repository layout below may still have it.
  }
  // In the repository: apps/admin/dist/local/ (or src/local/) → apps/node/dist/main.js.
  out.push(fileURLToPath(new URL('../../../node/dist/main.js', import.meta.url)));
  return [...new Set(out)];
}

/**
 * The server entry point to run.
 *
 * @throws CliError (exit 5) naming every place looked at when none exists
 */
export function resolveServerMain(explicit: string | undefined): string {
  const candidates = serverCandidates(explicit);
  const found = explicit ? (existsSync(explicit) ? explicit : undefined) : candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new CliError(ExitCode.Local, `cannot find the raftkit server (looked at ${candidates.join(', ')})`, {
    hint: 'Build it with pnpm --filter @raftkit/node build, or pass its dist/main.js with --server.',
  });
}
