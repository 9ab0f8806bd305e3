import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { type LocalCluster, localPaths, memberPorts, readLocalCluster, writeLocalCluster } from './layout.js';

const dir = mkdtempSync(join(tmpdir(), 'raftctl-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local cluster layout', () => {
  it('puts member 1 where raftctl looks by default, and each next member 10 ports up', () => {
    expect(memberPorts(2379, 1)).toEqual({ client: 2379, peer: 2380, metrics: 2381 });
    expect(memberPorts(2379, 3)).toEqual({ client: 2399, peer: 2400, metrics: 2401 });
  });

  it('writes and reads the cluster record', () => {
    const p = localPaths(dir);
    const c: LocalCluster = { version: 1, createdAt: 'now', server: '/s/main.js', config: p.config, serverArgs: ['--tick-ms', '50'], members: [{ id: 1, client: '127.0.0.1:1', peer: '127.0.0.1:2', metrics: '127.0.0.1:3', pid: 42, dataDir: p.dataDir(1), log: p.log(1) }] };
    expect(readLocalCluster(dir)).toBeUndefined();
    writeLocalCluster(dir, c);
    expect(readLocalCluster(dir)).toEqual(c);
  });

  it('reports a damaged record as a local failure with what to do', () => {
    writeFileSync(localPaths(dir).record, '{"version": 1, "members": "no"}');
    let error: unknown;
    try {
      readLocalCluster(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.Local);
    expect((error as CliError).hint).toMatch(/local down --purge/);
  });
});
