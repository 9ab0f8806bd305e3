/**
 * Commands that act on members one by one (snapshot take, compact): the
 * endpoints given, or with --cluster every member the cluster lists; each
 * asked concurrently, and every outcome reported.
 */
import { CliError, asCliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Session } from '../cli/session.js';
import type { Endpoint } from '../grpc/endpoints.js';
import { allFailed } from '../grpc/failover.js';
import { collectClusterView, reachable } from './view.js';

/** The outcome at one endpoint. */
export interface EachResult<T> {
  endpoint: Endpoint;
  value?: T;
  error?: CliError;
}

/** The endpoints to act on: those given, or every listed member's with `cluster`. */
export async function memberEndpoints(s: Session, cluster: boolean): Promise<Endpoint[]> {
  if (!cluster) return s.globals.endpoints;
  const view = await collectClusterView(s.conns, s.globals.endpoints);
  if (reachable(view).length === 0) throw allFailed(view.members.flatMap((m) => (m.error ? [m.error] : [])));
  return view.members.flatMap((m) => (m.id !== undefined && m.address ? [s.conns.endpointFor(m.address, s.globals.endpoints)] : []));
}

/** Runs `fn` on every endpoint concurrently, keeping each outcome. */
export function onEach<T>(endpoints: readonly Endpoint[], fn: (e: Endpoint) => Promise<T>): Promise<EachResult<T>[]> {
  return Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        return { endpoint, value: await fn(endpoint) };
      } catch (e) {
        return { endpoint, error: asCliError(e) };
      }
    }),
  );
}

/** The error to end with when some endpoints failed (their lines were shown already). */
export function eachFailure(results: readonly EachResult<unknown>[]): CliError | undefined {
  const failed = results.flatMap((r) => (r.error ? [r.error] : []));
  if (failed.length === 0) return undefined;
  if (failed.length === 1) return failed[0];
  const first = failed[0]!;
  return new CliError(first.exitCode === ExitCode.Unhealthy ? ExitCode.Unhealthy : first.exitCode, `${failed.length} of ${results.length} endpoints failed (${failed.map((f) => `${f.endpoint}: ${f.message}`).join('; ')})`, first.hint ? { hint: first.hint } : {});
}
