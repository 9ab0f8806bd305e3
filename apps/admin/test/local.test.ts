/**
 * `raftctl local up | status | down` as an operator trying raftkit would
 * use them: members start detached in ./.raftkit-local, outlive raftctl,
 * keep their data across down/up, and are gone after down --purge.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portFree } from '../src/local/ports.js';
import { parseTable, raftctl } from './support/raftctl.js';

interface Record {
  members: Array<{ id: number; pid: number | null; client: string }>;
}

/** Whether `pid` runs: it exists and, where /proc tells, is not a zombie waiting for init to reap it. */
function running(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** A base port whose three members' nine ports are all free now. */
async function freeBase(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 3000);
    const ports = Array.from({ length: nodes }, (_, i) => [0, 1, 2].map((k) => base + 10 * i + k)).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

describe('raftctl local', () => {
  let cwd: string;
  const record = () => JSON.parse(readFileSync(join(cwd, '.raftkit-local', 'cluster.json'), 'utf8')) as Record;
  const local = (args: string[]) => raftctl(['local', ...args], { cwd, timeoutMs: 90_000 });

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'raftctl-local-'));
  });
  afterAll(() => {
    // Whatever a failed test left running is stopped here.
    if (existsSync(join(cwd, '.raftkit-local', 'cluster.json'))) {
      for (const m of record().members) if (running(m.pid)) process.kill(m.pid!, 'SIGKILL');
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it('up starts a 3-member cluster in the background; status, down and up again keep its data; down --purge removes it', async () => {
    const base = await freeBase(3);
    const endpoints = [0, 1, 2].map((i) => `127.0.0.1:${base + 10 * i}`);
    const up = await local(['up', '--nodes', '3', '--base-port', String(base), '--', '--tick-ms', '50']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const [headline, , ...rest] = up.stdout.split('\n');
    expect(headline).toBe('Started a 3-member cluster in .raftkit-local.');
    const table = parseTable(rest.slice(0, rest.indexOf('')).join('\n'));
    expect(table.map((r) => [r.ID, r.ADDRESS, r.REACHABLE])).toEqual(endpoints.map((e, i) => [String(i + 1), e, 'yes']));
    expect(table.filter((r) => r.LEADER === '*')).toHaveLength(1);
    expect(up.stdout).toContain(`Endpoints: ${endpoints.join(',')}`);

    // The members outlive raftctl, each with its data and log under .raftkit-local/m<id>/.
    const pids = record().members.map((m) => m.pid);
    expect(pids.every(running)).toBe(true);
    for (const id of [1, 2, 3]) {
      expect(existsSync(join(cwd, '.raftkit-local', `m${id}`, 'data'))).toBe(true);
      expect(readFileSync(join(cwd, '.raftkit-local', `m${id}`, 'member.log'), 'utf8')).toContain(`member ${id} of a 3-member cluster`);
    }

    // Any one endpoint leads raftctl to all three members.
    const status = await raftctl(['--endpoints', endpoints[2]!, 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(parseTable(status.stdout).map((r) => r.ID)).toEqual(['1', '2', '3']);
    expect((await raftctl(['--endpoints', endpoints.join(','), 'kv', 'put', 'greeting', 'hello'])).code).toBe(0);

    const shown = await local(['status']);
    expect(shown.code).toBe(0);
    const rows = parseTable(shown.stdout.split('\n').slice(2).join('\n'));
    expect(rows.map((r) => [r.ID, r.PID, r.PROCESS, r.CLIENT])).toEqual(record().members.map((m) => [String(m.id), String(m.pid), 'running', m.client]));
    expect(rows.filter((r) => r.LEADER === '*')).toHaveLength(1);

    const again = await local(['up']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^The 3-member cluster in \.raftkit-local is already running\./);
    const resized = await local(['up', '--nodes', '5']);
    expect(resized.code).toBe(2);
    expect(resized.stderr).toMatch(/^Error: \.raftkit-local holds a 3-member cluster, not 5\./);

    const down = await local(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/^Stopped members 1, 2, 3\.\nData kept in \.raftkit-local/);
    expect(pids.some(running)).toBe(false);
    const stopped = await local(['status', '--json']);
    expect((JSON.parse(stopped.stdout) as { members: Array<{ running: boolean }> }).members.map((m) => m.running)).toEqual([false, false, false]);

    const restarted = await local(['up']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/^Started a 3-member cluster in \.raftkit-local\./);
    const got = await raftctl(['--endpoints', endpoints.join(','), 'kv', 'get', 'greeting']);
    expect(got.stdout).toBe('greeting\nhello\n');

    const purge = await local(['down', '--purge', '--json']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ stopped: [1, 2, 3], killed: [], purged: true });
    expect(existsSync(join(cwd, '.raftkit-local'))).toBe(false);
  });

  it('up refuses ports that are already in use, exit 5', async () => {
    const base = await freeBase(1);
    const fresh = mkdtempSync(join(cwd, 'busy-'));
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(base + 1, '127.0.0.1', r));
    try {
      const r = await raftctl(['local', 'up', '--nodes', '1', '--base-port', String(base)], { cwd: fresh });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`^Error: ports already in use: ${base + 1} \\(member 1\\)\\. .*--base-port`));
      expect(existsSync(join(fresh, '.raftkit-local', 'cluster.json'))).toBe(false);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
