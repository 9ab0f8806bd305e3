/**
 * Real raftkit member processes on loopback for end-to-end tests: each
 * member runs the built server (`dist/main.js`) with its own data
 * directory, ports picked free at start, and a log file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server as NetServer, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { adminv1, etcdserverpb } from '@raftkit/proto';

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

/** Ports free right now (bound to port 0, read back, released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<NetServer>((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => res(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface Member {
  id: number;
  client: number;
  peer: number;
  metrics: number;
  dataDir: string;
  logPath: string;
  proc: ChildProcess | undefined;
}

export interface ClusterOptions {
  /** Flags for every member (timing...). Default: 50 ms ticks, election after 10-20 ticks. */
  flags?: string[];
}

const FAST_TIMING = ['--tick-ms', '50', '--heartbeat-ticks', '1', '--election-ticks', '10'];

/** A cluster of member processes. */
export class LocalCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'raftkit-e2e-'));
  readonly members = new Map<number, Member>();
  readonly token = `e2e-${process.pid}-${Date.now()}`;
  private readonly clients = new Map<number, { kv: etcdserverpb.KVClient; admin: adminv1.AdminClient }>();

  private constructor(private readonly flags: string[]) {}

  /** Allocates ports and directories for `ids` (not started). */
  static async create(ids: number[], options: ClusterOptions = {}): Promise<LocalCluster> {
    const c = new LocalCluster(options.flags ?? FAST_TIMING);
    for (const id of ids) await c.addMemberSlot(id);
    return c;
  }

  /** Reserves ports and a data directory for member `id`. */
  async addMemberSlot(id: number): Promise<Member> {
    const [client, peer, metrics] = await freePorts(3);
    const m: Member = { id, client: client!, peer: peer!, metrics: metrics!, dataDir: join(this.root, `m${id}`), logPath: join(this.root, `m${id}.log`), proc: undefined };
    this.members.set(id, m);
    return m;
  }

  member(id: number): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** `id=host:port,...` of the given members (default: all). */
  initialCluster(ids = [...this.members.keys()]): string {
    return ids.map((id) => `${id}=127.0.0.1:${this.member(id).peer}`).join(',');
  }

  /** Starts member `id` as a process. `existing` joins a running cluster (empty start). */
  start(id: number, options: { state?: 'new' | 'existing'; cluster?: number[]; extra?: string[] } = {}): void {
    const m = this.member(id);
    this.spawnWith(id, [
      '--id', String(id),
      '--data-dir', m.dataDir,
      '--initial-cluster', this.initialCluster(options.cluster),
      '--initial-cluster-state', options.state ?? 'new',
      '--initial-cluster-token', this.token,
      '--listen-client-urls', `127.0.0.1:${m.client}`,
      '--listen-peer-urls', `127.0.0.1:${m.peer}`,
      '--listen-metrics-urls', `127.0.0.1:${m.metrics}`,
      '--log-format', 'json',
      ...this.flags,
      ...(options.extra ?? []),
    ]);
  }

  /** Starts member `id` with exactly these server arguments (a config file, say). */
  spawnWith(id: number, serverArgs: string[]): void {
    const m = this.member(id);
    const args = [MAIN, ...serverArgs];
    const log = createWriteStream(m.logPath, { flags: 'a' });
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RAFTKIT_CRASH_SEED: undefined } });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    m.proc = proc;
  }

  startAll(): void {
    for (const id of this.members.keys()) this.start(id);
  }

  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const m = this.member(id);
    const p = m.proc;
    if (!p || p.exitCode !== null) return p?.exitCode ?? null;
    this.dropClients(id);
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill(signal);
    const code = await exited;
    m.proc = undefined;
    return code;
  }

  isRunning(id: number): boolean {
    const p = this.member(id).proc;
    return p !== undefined && p.exitCode === null;
  }

  private connect(id: number) {
    let c = this.clients.get(id);
    if (!c) {
      const addr = `127.0.0.1:${this.member(id).client}`;
      const creds = grpc.credentials.createInsecure();
      c = { kv: new etcdserverpb.KVClient(addr, creds), admin: new adminv1.AdminClient(addr, creds) };
      this.clients.set(id, c);
    }
    return c;
  }

  private dropClients(id: number): void {
    const c = this.clients.get(id);
    if (!c) return;
    c.kv.close();
    c.admin.close();
    this.clients.delete(id);
  }

  /** The member's admin status, or undefined when it does not answer. */
  status(id: number, timeoutMs = 1000): Promise<adminv1.MemberStatus | undefined> {
    if (!this.isRunning(id)) return Promise.resolve(undefined);
    return new Promise((res) => {
      this.connect(id).admin.status({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, r) => res(err ? undefined : r.status));
    });
  }

  /** Waits until the running members agree on one leader; returns it. */
  async waitForLeader(timeoutMs = 20_000, among?: number[]): Promise<{ id: number; term: number }> {
    const deadline = Date.now() + timeoutMs;
    const ids = among ?? [...this.members.keys()];
    while (Date.now() < deadline) {
      const running = ids.filter((id) => this.isRunning(id));
      const statuses = (await Promise.all(running.map((id) => this.status(id)))).filter((s) => s !== undefined);
      const leaders = new Set(statuses.map((s) => s.leaderId));
      const lead = statuses.find((s) => s.role === adminv1.Role.LEADER);
      // Every running member answers and names the same leader.
      if (lead && leaders.size === 1 && statuses.length === running.length) return { id: lead.memberId, term: lead.term };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no leader within ${timeoutMs} ms\n${this.logs()}`);
  }

  /** A gRPC call on member `id`'s KV service. */
  kv<Req, Res>(id: number, method: 'put' | 'range' | 'deleteRange' | 'txn', req: Req, timeoutMs = 5000): Promise<Res> {
    const client = this.connect(id).kv as unknown as Record<string, (r: Req, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Res) => void) => void>;
    return new Promise((res, rej) => client[method]!.call(this.connect(id).kv, req, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? rej(e) : res(r))));
  }

  /** An admin call on member `id`. */
  admin<Req, Res>(id: number, method: keyof adminv1.AdminClient, req: Req, timeoutMs = 10_000): Promise<Res> {
    const client = this.connect(id).admin as unknown as Record<string, (r: Req, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Res) => void) => void>;
    return new Promise((res, rej) => client[method as string]!.call(this.connect(id).admin, req, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? rej(e) : res(r))));
  }

  /** Member `id`'s whole log. */
  logOf(id: number): string {
    try {
      return readFileSync(this.member(id).logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of every member's log (for failure reports). */
  logs(lines = 15): string {
    return [...this.members.values()]
      .map((m) => {
        let text = '';
        try {
          text = readFileSync(m.logPath, 'utf8');
        } catch {
          text = '(no log)';
        }
        return `--- member ${m.id} ---\n${text.trim().split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  async close(): Promise<void> {
    for (const id of this.members.keys()) this.dropClients(id);
    await Promise.all([...this.members.keys()].map((id) => this.kill(id)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A leader that cannot commit: member 1 starts alone (a lone voter leads at
 * once, whatever its election timeout), then adds member 2, which never
 * runs. That change commits with member 1 alone; from then on a write needs
 * member 2. A long election timeout (1000 ticks, 50 s at the test timing)
 * keeps member 1 leader, since CheckQuorum would only make it step down
 * after that.
 */
export async function leaderWithoutQuorum(extraFlags: string[] = []): Promise<LocalCluster> {
  const cluster = await LocalCluster.create([1]);
  cluster.start(1, { extra: ['--election-ticks', '1000', ...extraFlags] });
  await cluster.waitForLeader(20_000, [1]);
  const m2 = await cluster.addMemberSlot(2);
  await cluster.admin<adminv1.AddMemberRequest, adminv1.AddMemberResponse>(1, 'addMember', {
    id: 2,
    name: 'absent',
    peerAddress: `127.0.0.1:${m2.peer}`,
    clientAddress: '',
    asLearner: false,
  });
  return cluster;
}

const enc = new TextEncoder();
/** A PutRequest with defaults. */
export function putReq(key: string, value: string): etcdserverpb.PutRequest {
  return { key: enc.encode(key), value: enc.encode(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false };
}

/** A RangeRequest for one key or a range, with defaults. */
export function rangeReq(key: string, rangeEnd = '', extra: Partial<etcdserverpb.RangeRequest> = {}): etcdserverpb.RangeRequest {
  return {
    key: enc.encode(key),
    rangeEnd: enc.encode(rangeEnd),
    limit: 0,
    revision: 0,
    sortOrder: 0,
    sortTarget: 0,
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...extra,
  };
}
