import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { rpcError } from '../grpc/rpc-errors.js';
import { explainAddError } from './member.js';

function failure(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('member add errors', () => {
  it("turns etcd's 'member not found' for a removed id into one line that says what it means", () => {
    const e = explainAddError(rpcError(failure(status.NOT_FOUND, 'etcdserver: member not found'), '127.0.0.1:2379', 5000), 4);
    expect(formatErrorLine(e as never)).toBe(
      "Error: 127.0.0.1:2379: member 4 was removed from the cluster, and a removed member's id cannot be used again. Add it under a new id, and start it with an empty data directory.",
    );
    expect((e as { exitCode: number }).exitCode).toBe(ExitCode.Refused);
  });

  it('leaves every other refusal as it was', () => {
    const exists = rpcError(failure(status.ALREADY_EXISTS, 'member 2 is already in the cluster'), 'h:1', 5000);
    expect(explainAddError(exists, 2)).toBe(exists);
    const other = new Error('boom');
    expect(explainAddError(other, 2)).toBe(other);
  });
});
