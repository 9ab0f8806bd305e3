/**
 * What one replicated write costs: a 3-member raftkit cluster of real
 * servers (`startServer` from the built `apps/node`, real LMDB, real gRPC on
 * loopback) and an etcd-API load generator, all in ONE process, so the cost
 * of a write can be read off one process's clock: CPU time per write, user
 * and system, for the whole cluster and its clients.
 *
 *   pnpm --filter @raftkit/bench cluster-cost [--clients 1,16,64] [--ops 2000] [--warmup 2000]
 *
 * One event loop serves all three members and the clients, so batching and
 * latency differ from three processes (bench/vs-etcd measures those); what
 * this measures is the work per write, summed over the whole cluster and
 * its clients, without the hand-offs between processes. Run it with
 * `node --cpu-prof` to see that work in one profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '@raftkit/config';
import { etcdserverpb } from '@raftkit/proto';
import { pino } from 'pino';
// The built server, as bench/vs-etcd runs it.
import { type RaftkitServer, startServer } from '../../apps/node/dist/server.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    clients: { type: 'string', default: '1,16,64' },
    conns: { type: 'string', default: '8' },
    ops: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '2000' },
    'value-bytes': { type: 'string', default: '256' },
    'key-space': { type: 'string', default: '10000' },
    'election-ticks': { type: 'string', default: '10' },
    'base-port': { type: 'string', default: '28790' },
  },
});
const clientCounts = values.clients.split(',').map(Number);
const ops = Number(values.ops);
const warmup = Number(values.warmup);
const valueBytes = Number(values['value-bytes']);
const keySpace = Number(values['key-space']);
const base = Number(values['base-port']);

const root = mkdtempSync(join(tmpdir(), 'raftkit-cluster-cost-'));
const ids = [1, 2, 3];
const peerPort = (id: number): number => base + 10 + id;
const clientPort = (id: number): number => base + id;
const initialCluster = ids.map((id) => `${id}=127.0.0.1:${peerPort(id)}`).join(',');
// Members starting up and shutting down together log connection warnings; only errors matter here.
const logger = pino({ level: 'error' }, pino.destination(2));

const servers: RaftkitServer[] = [];
for (const id of ids) {
  const config = loadConfig({
    argv: [
      '--id', String(id),
      '--data-dir', join(root, `m${id}`),
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', 'cluster-cost',
      '--listen-client-urls', `127.0.0.1:${clientPort(id)}`,
      '--listen-peer-urls', `127.0.0.1:${peerPort(id)}`,
      '--listen-metrics-urls', '',
      '--election-ticks', values['election-ticks'],
    ],
    env: {},
  });
  servers.push(await startServer(config, logger.child({ member: id })));
}
// Clients talk to the leader, as kvload does for puts.
let leaderId = 0;
while ((leaderId = servers[0]!.node.raw.raft.lead) === 0 || servers.some((s) => s.node.raw.raft.lead !== leaderId)) {
  await new Promise((r) => setTimeout(r, 20));
}

const channels = Array.from(
  { length: Number(values.conns) },
  (_, i) => new etcdserverpb.KVClient(`127.0.0.1:${clientPort(leaderId)}`, grpc.credentials.createInsecure(), { 'grpc.channel_id': i }),
);
const value = new Uint8Array(valueBytes).fill(0x61);
const keyOf = (i: number): Uint8Array => new TextEncoder().encode(`key-${String(i % keySpace).padStart(8, '0')}`);

function put(client: etcdserverpb.KVClient, key: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    client.put({ key, value, lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false }, (err) => (err ? reject(err) : resolve()));
  });
}

/** `total` puts from `clients` closed-loop clients; resolves with the wall time in ms. */
async function load(clients: number, total: number): Promise<number> {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const channel = channels[c % channels.length]!;
      while (issued < total) {
        issued++;
        await put(channel, keyOf(Math.floor(Math.random() * keySpace)));
      }
    }),
  );
  return performance.now() - started;
}

process.stdout.write(`warm-up: ${warmup} puts with 16 clients\n`);
await load(16, warmup);
for (const clients of clientCounts) {
  const cpu0 = process.cpuUsage();
  const wall = await load(clients, ops);
  const cpu = process.cpuUsage(cpu0);
  const per = (us: number): string => (us / 1000 / ops).toFixed(3);
  process.stdout.write(
    `clients ${String(clients).padStart(3)}: ${ops} puts in ${(wall / 1000).toFixed(2)} s (${Math.round((ops / wall) * 1000)}/s); ` +
      `CPU per put ${per(cpu.user + cpu.system)} ms (user ${per(cpu.user)}, system ${per(cpu.system)}), the whole cluster and its clients\n`,
  );
}

for (const c of channels) c.close();
await Promise.all(servers.map((s) => s.stop()));
rmSync(root, { recursive: true, force: true });
