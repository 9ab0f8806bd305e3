/**
 * Sends a request to the first endpoint that can serve it, as etcd clients
 * do: an endpoint that cannot be reached (or has no leader, which drops the
 * request unapplied) is skipped for the next one. A request that may have
 * been applied is retried elsewhere only when repeating it is harmless.
 */
import { CliError, asCliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Endpoint } from './endpoints.js';

/** What {@link firstAnswer} returns: the value and the endpoint that gave it. */
export interface Answer<T> {
  value: T;
  endpoint: Endpoint;
}

/**
 * Runs `attempt` on each endpoint in turn until one succeeds. `idempotent`
 * says whether a request whose outcome is unknown (a deadline passed) may be
 * sent again to another endpoint.
 *
 * @throws CliError the only endpoint's error, or a summary when every endpoint failed
 */
export async function firstAnswer<T>(endpoints: readonly Endpoint[], attempt: (e: Endpoint) => Promise<T>, idempotent: boolean): Promise<Answer<T>> {
  const failures: CliError[] = [];
  for (const endpoint of endpoints) {
    try {
      return { value: await attempt(endpoint), endpoint };
    } catch (e) {
      const err = asCliError(e);
      const tryNext = err.delivery === 'not-sent' || (err.delivery === 'unknown' && idempotent);
      if (!tryNext) throw err;
      failures.push(err);
    }
  }
  throw allFailed(failures);
}

/** One error that sums up several endpoints' failures. */
export function allFailed(failures: readonly CliError[]): CliError {
  if (failures.length === 1) return failures[0]!;
  const last = failures[failures.length - 1];
  const code = failures.some((f) => f.exitCode === ExitCode.Unhealthy) ? ExitCode.Unhealthy : ExitCode.Unreachable;
  const each = failures.map((f) => `${f.endpoint ?? '?'}: ${f.message}`).join('; ');
  return new CliError(code, `no endpoint could serve the request (${each})`, last?.hint ? { hint: last.hint, cause: last } : {});
}
