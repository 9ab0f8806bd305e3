import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../cli/exit-codes.js';
import { connectionReason, rpcError } from './rpc-errors.js';

/** A failure shaped as grpc-js reports it (the texts are grpc-js's and the server's own). */
function failure(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('rpcError', () => {
  it('a refused connection is unreachable and was not sent', () => {
    const e = rpcError(failure(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2026-01-01T00:00:00.000Z)'), '127.0.0.1:1', 5000);
    expect([e.exitCode, e.message, e.delivery, e.endpoint]).toEqual([ExitCode.Unreachable, 'unreachable (connection refused)', 'not-sent', '127.0.0.1:1']);
  });

  it('a deadline is unreachable, says how long, and may have been applied', () => {
    const e = rpcError(failure(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.502s,LB pick: 0.001s'), 'h:1', 500);
    expect([e.exitCode, e.message, e.delivery]).toEqual([ExitCode.Unreachable, 'no answer within 500ms', 'unknown']);
  });

  it("etcd's no leader means the cluster is unhealthy and the request was dropped", () => {
    const e = rpcError(failure(status.UNAVAILABLE, 'etcdserver: no leader'), 'h:1', 5000);
    expect([e.exitCode, e.message, e.delivery]).toEqual([ExitCode.Unhealthy, 'no leader', 'not-sent']);
  });

  it("etcd's request timed out leaves the outcome unknown", () => {
    expect(rpcError(failure(status.UNAVAILABLE, 'etcdserver: request timed out'), 'h:1', 5000).delivery).toBe('unknown');
  });

  it.each([
    ['grpc-js refuses the message', status.RESOURCE_EXHAUSTED, 'Received message larger than max (2097172 vs 1638400)', 'the request is too large (2.0 MiB)'],
    ["etcd's request is too large", status.INVALID_ARGUMENT, 'etcdserver: request is too large', 'the request is too large'],
  ])('an oversized request (%s) points at --max-request-bytes, not at load', (_what, code, details, message) => {
    const e = rpcError(failure(code, details), 'h:1', 5000);
    expect([e.exitCode, e.message, e.delivery]).toEqual([ExitCode.Refused, message, 'answered']);
    expect(e.hint).toBe("It exceeds the member's --max-request-bytes (1.5 MiB by default): send less, or raise the limit on every member.");
  });

  it("etcd's too many requests asks to slow down, and request timed out points at the quorum", () => {
    const busy = rpcError(failure(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'), 'h:1', 5000);
    expect([busy.exitCode, busy.message, busy.hint]).toEqual([ExitCode.Refused, 'too many requests', 'The member is overloaded; slow down and retry.']);
    const slow = rpcError(failure(status.UNAVAILABLE, 'etcdserver: request timed out'), 'h:1', 5000);
    expect([slow.exitCode, slow.message, slow.delivery]).toEqual([ExitCode.Unhealthy, 'request timed out', 'unknown']);
    expect(slow.hint).toMatch(/majority of the voting members/);
  });

  it('a refusal keeps the member\'s own words', () => {
    const e = rpcError(failure(status.NOT_FOUND, 'member 9 is not in the cluster'), 'h:1', 5000);
    expect([e.exitCode, e.message, e.delivery]).toEqual([ExitCode.Refused, 'member 9 is not in the cluster', 'answered']);
  });

  it('a missing token points at --auth-token', () => {
    const e = rpcError(failure(status.UNAUTHENTICATED, 'etcdserver: invalid auth token'), 'h:1', 5000);
    expect(e.exitCode).toBe(ExitCode.Refused);
    expect(e.hint).toMatch(/--auth-token/);
  });

  it('a TLS failure points at the TLS flags', () => {
    const e = rpcError(failure(status.UNAVAILABLE, 'No connection established. Last error: SSL routines:ssl3_get_record:wrong version number'), 'h:1', 5000);
    expect(e.exitCode).toBe(ExitCode.Unreachable);
    expect(e.hint).toMatch(/--cacert/);
  });
});

describe('connectionReason', () => {
  it.each([
    ['No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2026-01-01T00:00:00.000Z). Resolution note: ', 'connection refused'],
    ['No connection established. Last error: 802CE801C27F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116. Resolution note: ', 'TLS failure: the member requires a client certificate'],
    ['No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ', 'TLS failure: self-signed certificate in certificate chain'],
    ['Failed to connect. Resolution note:', 'the connection failed'],
    ['Name resolution failed for target dns:nowhere.invalid:2379', 'host name not found'],
  ])('%s', (details, reason) => expect(connectionReason(details)).toBe(reason));
});
