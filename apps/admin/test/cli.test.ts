/**
 * raftctl as a process where no cluster is needed: help, usage errors, and
 * endpoints that refuse connections or never answer. Each failure must be
 * one line on stderr with its documented exit code.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from './support/cluster.js';
import { RAFTCTL_MAIN } from './support/paths.js';
import { cleanEnv, parseTable, raftctl } from './support/raftctl.js';

/** stderr holds exactly one line. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('raftctl help', () => {
  it('documents every command, the exit codes and examples', async () => {
    const r = await raftctl(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['status', 'watch', 'member', 'leader', 'snapshot', 'compact', 'kv', 'bench', 'local', 'check']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    for (const code of ['0', '1', '2', '3', '4', '5', '130']) expect(r.stdout).toMatch(new RegExp(`^  ${code}\\s+\\S`, 'm'));
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--endpoints <list>');
  });

  it('shows examples and the global flags in a subcommand\'s help', async () => {
    const r = await raftctl(['kv', 'txn', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: raftctl kv txn \[options\]/);
    expect(r.stdout).toContain('Compares:');
    expect(r.stdout).toContain("raftctl kv txn --if 'value(config) = v1' --then 'put config v2' --else 'get config'");
    expect(r.stdout).toContain('Global Options:');
  });

  it('prints its version', async () => {
    const r = await raftctl(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('says in one line that its output could not be written, exit 5', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [RAFTCTL_MAIN, '--help'], { env: cleanEnv(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(r.status).toBe(5);
      expect(r.stderr).toBe('Error: cannot write to stdout: no space left on device. Check the file or device stdout goes to.\n');
    } finally {
      closeSync(full);
    }
  });

  it('shows a group\'s help on stderr and exits 2 when the subcommand is missing', async () => {
    const r = await raftctl(['member']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: raftctl member');
  });
});

describe('raftctl usage errors exit 2 with one line', () => {
  it.each([
    [['statsu'], /^Error: unknown command 'statsu' \(Did you mean status\?\)\. Run 'raftctl --help' for usage\.$/],
    [['status', '--bogus'], /^Error: unknown option '--bogus'\. Run 'raftctl status --help' for usage\.$/],
    [['--timeout', 'soon', 'status'], /^Error: option '--timeout <duration>' argument 'soon' is invalid\. 'soon' is not a duration/],
    [['--endpoints', 'localhost', 'status'], /^Error: endpoint 'localhost' is not host:port\./],
    [['kv', 'get'], /^Error: missing required argument 'key'\. Run 'raftctl kv get --help' for usage\.$/],
    [['member', 'add', '4'], /^Error: required option '--peer <host:port>' not specified\./],
    [['member', 'remove', 'two'], /^Error: command-argument value 'two' is invalid for argument 'id'\. a member id must be an integer >= 1/],
    [['--endpoints', '127.0.0.1:1,127.0.0.1:2', 'snapshot', 'save', 'x.snap'], /^Error: snapshot save reads from one member, but --endpoints lists 2\./],
    [['kv', 'get', 'a', 'b', '--prefix'], /^Error: give only one of RANGE_END, --prefix and --from-key\.$/],
    [['local', 'up', '--nodes', '0'], /^Error: option '--nodes <n>' argument '0' is invalid\. --nodes must be an integer from 1 to 15/],
  ])('raftctl %j', async (args, message) => {
    const r = await raftctl(args);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
  });
});

describe('raftctl against endpoints that do not work', () => {
  let closed: number;
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];
  let cwd: string;

  beforeAll(async () => {
    [closed] = (await freePorts(1)) as [number];
    // Accepts connections and never says a word: the endpoint of a hung or partitioned member.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    cwd = mkdtempSync(join(tmpdir(), 'raftctl-cli-'));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    rmSync(cwd, { recursive: true, force: true });
  });

  it('status: an endpoint that refuses connections is shown as unreachable, exit 3', async () => {
    const r = await raftctl(['--endpoints', `127.0.0.1:${closed}`, 'status']);
    expect(r.code).toBe(3);
    expect(parseTable(r.stdout)).toEqual([
      { ID: '?', ADDRESS: `127.0.0.1:${closed}`, ROLE: '-', TERM: '-', LEADER: '', COMMIT: '-', APPLIED: '-', LAST: '-', SNAPSHOT: '-', LAG: '-', 'DB SIZE': '-', REACHABLE: 'no: unreachable (connection refused)' },
    ]);
    expect(oneLine(r.stderr)).toBe(`Error: 127.0.0.1:${closed}: unreachable (connection refused). Check that a member runs there, or pass the right address with --endpoints.`);
  });

  it('status --json: still valid JSON on stdout', async () => {
    const r = await raftctl(['--endpoints', `127.0.0.1:${closed}`, 'status', '--json']);
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout) as { leader: null; members: Array<{ reachable: boolean; error: string; address: string }> };
    expect(s.leader).toBeNull();
    expect(s.members).toEqual([expect.objectContaining({ address: `127.0.0.1:${closed}`, reachable: false, error: 'unreachable (connection refused)' })]);
  });

  it('an endpoint that never answers times out after --timeout, exit 3', async () => {
    const started = Date.now();
    const r = await raftctl(['--endpoints', `127.0.0.1:${silentPort}`, '--timeout', '500ms', 'kv', 'get', 'k']);
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(oneLine(r.stderr)).toBe(`Error: 127.0.0.1:${silentPort}: no answer within 500ms. The member may be overloaded, partitioned or not a raftkit member; raise --timeout or try another endpoint.`);
  });

  it('kv tries every endpoint and names each failure', async () => {
    const r = await raftctl(['--endpoints', `127.0.0.1:${closed},127.0.0.1:${silentPort}`, '--timeout', '300ms', 'kv', 'get', 'k']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^Error: no endpoint could serve the request \\(127\\.0\\.0\\.1:${closed}: unreachable \\(connection refused\\); 127\\.0\\.0\\.1:${silentPort}: no answer within 300ms\\)\\.`));
  });

  it('--debug adds the stack trace', async () => {
    const r = await raftctl(['--endpoints', `127.0.0.1:${closed}`, '--debug', 'member', 'list']);
    expect(r.code).toBe(3);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Error: 127\.0\.0\.1:\d+: unreachable/);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('check, member and leader commands fail the same way', async () => {
    for (const args of [['check'], ['member', 'remove', '3'], ['leader', 'transfer', '2'], ['snapshot', 'take'], ['bench', 'put', '--total', '10']]) {
      const r = await raftctl(['--endpoints', `127.0.0.1:${closed}`, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^Error: (127\\.0\\.0\\.1:${closed}: unreachable|\\d of \\d endpoints failed|no endpoint)`));
    }
  });

  it('a reader that leaves early ends output quietly, with the command\'s own exit code', async () => {
    const help = await raftctl(['--help'], { closeStdout: true });
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    const status = await raftctl(['--endpoints', `127.0.0.1:${closed}`, 'status', '--json'], { closeStdout: true });
    expect(status.code).toBe(3);
    expect(oneLine(status.stderr)).toMatch(/^Error: 127\.0\.0\.1:\d+: unreachable \(connection refused\)\./);
    // watch prints until the reader goes away, then ends as it does on Ctrl-C.
    const watch = await raftctl(['--endpoints', `127.0.0.1:${closed}`, 'watch', '--json', '--interval', '100ms'], { closeStdout: true, timeoutMs: 20_000 });
    expect(watch.code).toBe(0);
    expect(watch.stderr).toBe('');
  });

  it('local status and local down without a local cluster say so and succeed', async () => {
    const status = await raftctl(['local', 'status'], { cwd });
    expect(status.code).toBe(0);
    expect(status.stdout).toBe('No local cluster in .raftkit-local; start one with raftctl local up --nodes 3.\n');
    const down = await raftctl(['local', 'down'], { cwd });
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('No local cluster in .raftkit-local.\n');
  });
});
