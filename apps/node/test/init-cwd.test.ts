/**
 * `pnpm --filter node start` runs the server in apps/node; relative paths
 * (the default ./data, --config FILE) must still be taken from the
 * directory the user typed the command in, which pnpm passes as INIT_CWD.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from './support/local-cluster.js';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('started through the package script', () => {
  const typedIn = mkdtempSync(join(tmpdir(), 'raftkit-init-cwd-'));
  const packageDir = mkdtempSync(join(tmpdir(), 'raftkit-package-dir-'));
  afterAll(() => {
    for (const d of [typedIn, packageDir]) rmSync(d, { recursive: true, force: true });
  });

  it('keeps ./data and a relative --config in the directory the command was typed in', async () => {
    const [client, peer, metrics] = await freePorts(3);
    writeFileSync(
      join(typedIn, 'raftkit.yaml'),
      `listen: { client: "127.0.0.1:${client}", peer: "127.0.0.1:${peer}", metrics: "127.0.0.1:${metrics}" }\nlog: { format: json }\n`,
    );
    const proc = spawn(process.execPath, [MAIN, '--config', 'raftkit.yaml'], {
      cwd: packageDir,
      env: { ...process.env, INIT_CWD: typedIn, npm_lifecycle_event: 'start', npm_package_name: '@raftkit/node' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    const deadline = Date.now() + 20_000;
    while (!output.includes('raftkit member started') && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    proc.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    expect(output).toContain(`data: ${join(typedIn, 'data')}`);
    expect(existsSync(join(typedIn, 'data'))).toBe(true);
    expect(existsSync(join(packageDir, 'data'))).toBe(false);
  });
});
