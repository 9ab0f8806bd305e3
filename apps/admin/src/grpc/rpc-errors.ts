/**
 * Turns a gRPC failure into a {@link CliError}: a short account of what
 * happened at which endpoint, what to try, and the exit code of its kind.
 * grpc-js reports connection problems and deadlines with its own texts, and
 * a member answers with etcd's ("etcdserver: no leader"); both are read here.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { CliError, type Delivery } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { formatDuration } from '../cli/duration.js';

const REACH_HINT = 'Check that a member runs there, or pass the right address with --endpoints.';
const QUORUM_HINT = 'A majority of the voting members must be running and connected; see raftctl status.';
const TOO_LARGE_HINT = "It exceeds the member's --max-request-bytes (1.5 MiB by default): send less, or raise the limit on every member.";

/**
 * A request over the member's size limit: grpc-js refuses the message
 * itself ("Received message larger than max (N vs M)", RESOURCE_EXHAUSTED)
 * or the member does, with etcd's "request is too large" (INVALID_ARGUMENT).
 */
function tooLarge(details: string): { size: number | undefined } | undefined {
  const grpcLimit = /larger than max \((\d+) vs \d+\)/i.exec(details);
  if (grpcLimit) return { size: Number(grpcLimit[1]) };
  if (/larger than max|request is too large|request too large/i.test(details)) return { size: undefined };
  return undefined;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Whether a value is a grpc-js ServiceError. */
export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
}

/** The reason grpc-js gives for a failed connection, in a few words. */
export function connectionReason(details: string): string {
  const text = details
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .trim();
  const errno = /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE)\b/.exec(text)?.[1];
  switch (errno) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
  }
  if (/name resolution/i.test(text)) return 'host name not found';
  if (/certificate required/i.test(text)) return 'TLS failure: the member requires a client certificate';
  // OpenSSL's own words, without its error codes and source locations.
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(text)?.[1];
  if (openssl) return `TLS failure: ${openssl.trim()}`;
  if (/ssl|tls|certificate|handshake|wrong version number/i.test(text)) return `TLS failure: ${text.replace(/^.*Last error: /, '').replace(/^Error: /, '')}`;
  if (/^Failed to connect$/i.test(text)) return 'the connection failed';
  const last = /Last error: (.*)$/.exec(text)?.[1];
  return last ? last.trim() : text || 'unavailable';
}

/**
 * Classifies the failure of a call to `endpoint`. `timeoutMs` is the
 * deadline the call had, to say how long we waited.
 */
export function rpcError(e: unknown, endpoint: string, timeoutMs: number): CliError {
  if (!isServiceError(e)) {
    return new CliError(ExitCode.Local, `request failed: ${(e as Error)?.message ?? String(e)}`, { endpoint, cause: e });
  }
  const details = e.details || e.message;
  // Texts a member sends begin with "etcdserver:" (etcd's convention) or are its own sentences;
  // grpc-js's own texts describe the connection.
  const fromServer = details.startsWith('etcdserver:');
  const serverText = details.replace(/^etcdserver: /, '');
  const opts = (hint: string, delivery: Delivery = 'answered') => ({ endpoint, hint, cause: e, delivery });
  const large = e.code === status.RESOURCE_EXHAUSTED || e.code === status.INVALID_ARGUMENT ? tooLarge(details) : undefined;
  if (large) {
    return new CliError(ExitCode.Refused, `the request is too large${large.size !== undefined ? ` (${mebibytes(large.size)})` : ''}`, opts(TOO_LARGE_HINT));
  }
  switch (e.code) {
    case status.UNAVAILABLE:
      if (fromServer) {
        if (/server stopped/.test(details)) return new CliError(ExitCode.Unreachable, 'the member is shutting down', opts('Use another endpoint.', 'not-sent'));
        // "no leader" and "leader changed" drop the request unapplied; "request timed out" may have applied it.
        return new CliError(ExitCode.Unhealthy, serverText, opts(QUORUM_HINT, /timed out/.test(details) ? 'unknown' : 'not-sent'));
      }
      {
        const reason = connectionReason(details);
        const tlsHint = reason.startsWith('TLS')
          ? 'Check --cacert, --cert and --key, and whether the member serves TLS (https:// endpoints).'
          : reason === 'the connection failed'
            ? 'Check that a member runs there, and whether it serves TLS (then pass --cacert or an https:// endpoint).'
            : REACH_HINT;
        return new CliError(ExitCode.Unreachable, `unreachable (${reason})`, opts(tlsHint, 'not-sent'));
      }
    case status.DEADLINE_EXCEEDED:
      if (/^Deadline exceeded/i.test(details)) {
        return new CliError(ExitCode.Unreachable, `no answer within ${formatDuration(timeoutMs)}`, opts('The member may be overloaded, partitioned or not a raftkit member; raise --timeout or try another endpoint.', 'unknown'));
      }
      // The member gave up on the request itself (a leadership transfer that did not complete, say).
      return new CliError(ExitCode.Refused, serverText, opts("See the member's log, and retry."));
    case status.CANCELLED:
      return new CliError(ExitCode.Unreachable, 'the call was cancelled', opts(REACH_HINT, 'unknown'));
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return new CliError(ExitCode.Refused, serverText, opts('Pass the cluster\'s token with --auth-token (or RAFTCTL_AUTH_TOKEN).'));
    case status.UNIMPLEMENTED:
      return new CliError(ExitCode.Refused, `the server does not implement this call (${details})`, opts('Is it a raftkit member of a matching version?'));
    case status.RESOURCE_EXHAUSTED:
      return new CliError(ExitCode.Refused, serverText, opts('The member is overloaded; slow down and retry.'));
    case status.INTERNAL:
    case status.UNKNOWN:
    case status.DATA_LOSS:
      return new CliError(ExitCode.Refused, `server error: ${serverText}`, opts('See the member\'s log.'));
    default:
      // INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE, ABORTED:
      // the member's message says what is wrong with the request.
      return new CliError(ExitCode.Refused, serverText, { endpoint, cause: e });
  }
}
