/**
 * Real raftkit members on loopback for raftctl's end-to-end tests, started
 * from the built server like apps/node's tests do: free ports picked at
 * start, a data directory and a log per member. The members share one
 * config file that lists every member's client address too, so a member
 * can tell raftctl where the others are.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server as NetServer, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { adminv1 } from '@raftkit/proto';
import { SERVER_MAIN } from './paths.js';
import { cleanEnv } from './raftctl.js';

/** Ports free right now (bound to port 0, read back, released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<NetServer>((res) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** One member's addresses and process. */
export interface TestMember {
  id: number;
  client: string;
  peer: string;
  metrics: string;
  dataDir: string;
  logPath: string;
  proc: ChildProcess | undefined;
}

/** Fast elections, so tests do not wait seconds for a leader. */
export const FAST_TIMING = { tickMs: 50, heartbeatTicks: 1, electionTicks: 10 };

/** A cluster of member processes sharing one config file. */
export class TestCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'raftctl-e2e-'));
  readonly token = `raftctl-e2e-${process.pid}-${Date.now()}`;
  readonly members = new Map<number, TestMember>();
  readonly configPath = join(this.root, 'cluster.json');
  private readonly admins = new Map<number, adminv1.AdminClient>();

  /** Allocates ports for `ids` and writes the shared config file (nothing started). */
  static async create(ids: readonly number[]): Promise<TestCluster> {
    const c = new TestCluster();
    for (const id of ids) await c.addSlot(id);
    const config = {
      clusterToken: c.token,
      dataDir: join(c.root, 'm{id}'),
      members: [...c.members.values()].map((m) => ({ id: m.id, name: `m${m.id}`, peer: m.peer, client: m.client, metrics: m.metrics })),
      timing: FAST_TIMING,
      log: { format: 'json' },
    };
    writeFileSync(c.configPath, JSON.stringify(config, null, 2));
    return c;
  }

  /** Reserves ports and a data directory for member `id`. */
  async addSlot(id: number): Promise<TestMember> {
    const [client, peer, metrics] = await freePorts(3);
    const m: TestMember = {
      id,
      client: `127.0.0.1:${client}`,
      peer: `127.0.0.1:${peer}`,
      metrics: `127.0.0.1:${metrics}`,
      dataDir: join(this.root, `m${id}`),
      logPath: join(this.root, `m${id}.log`),
      proc: undefined,
    };
    this.members.set(id, m);
    return m;
  }

  /** Member `id`'s slot. */
  member(id: number): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** Client addresses, comma-separated, for --endpoints. */
  endpoints(ids: readonly number[] = [...this.members.keys()]): string {
    return ids.map((id) => this.member(id).client).join(',');
  }

  /** Starts member `id` from the shared config file. */
  start(id: number): void {
    this.spawnWith(id, ['--config', this.configPath, '--id', String(id)]);
  }

  /** Starts member `id` with exactly these server arguments. */
  spawnWith(id: number, args: readonly string[]): void {
    const m = this.member(id);
    const log = createWriteStream(m.logPath, { flags: 'a' });
    const proc = spawn(process.execPath, [SERVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    m.proc = proc;
  }

  /** Whether member `id`'s process runs. */
  isRunning(id: number): boolean {
    const p = this.member(id).proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  async stop(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(id);
    const p = m.proc;
    this.admins.get(id)?.close();
    this.admins.delete(id);
    if (!p || !this.isRunning(id)) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
    m.proc = undefined;
  }

  /** The member's admin status, or undefined when it does not answer. */
  status(id: number, timeoutMs = 1000): Promise<adminv1.MemberStatus | undefined> {
    if (!this.isRunning(id)) return Promise.resolve(undefined);
    let admin = this.admins.get(id);
    if (!admin) {
      admin = new adminv1.AdminClient(this.member(id).client, grpc.credentials.createInsecure());
      this.admins.set(id, admin);
    }
    const client = admin;
    return new Promise((res) => client.status({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, r) => res(err ? undefined : r.status)));
  }

  /** Waits until the running members among `among` agree on one leader; returns its id. */
  async waitForLeader(among: readonly number[] = [...this.members.keys()], timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const statuses = (await Promise.all(among.filter((id) => this.isRunning(id)).map((id) => this.status(id)))).filter((s) => s !== undefined);
      const leaders = new Set(statuses.map((s) => s.leaderId));
      const lead = statuses.find((s) => s.role === adminv1.Role.LEADER);
      if (lead && leaders.size === 1 && statuses.length === among.filter((id) => this.isRunning(id)).length) return lead.memberId;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no leader within ${timeoutMs} ms\n${this.logs()}`);
  }

  /** The last lines of every member's log (for failure reports). */
  logs(lines = 10): string {
    return [...this.members.values()]
      .map((m) => {
        let text: string;
        try {
          text = readFileSync(m.logPath, 'utf8');
        } catch {
          text = '(no log)';
        }
        return `--- member ${m.id} ---\n${text.trim().split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  /** Kills every member and deletes the data. */
  async close(): Promise<void> {
    await Promise.all([...this.members.keys()].map((id) => this.stop(id)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
