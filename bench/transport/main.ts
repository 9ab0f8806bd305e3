/**
 * Transport throughput: member 1 in this process streams App messages of
 * 128 B entries to member 2 in a child process (its own core) over loopback
 * gRPC, plaintext and mutual TLS. Prints messages/s, entries/s and MB/s as
 * counted by the receiver, the round-trip time of a heartbeat and its answer,
 * and the cost of the wire conversion and encoding per message.
 *
 *   pnpm --filter @raftkit/bench transport [--seconds 3] [--batches 1,16,64] [--entry-bytes 128]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Message, MessageType } from '@raftkit/core';
import { GrpcTransport, type TlsOptions } from '@raftkit/transport-grpc';
import { measureCodec } from './codec.js';
import { appendMessage, createPki, heartbeat } from './workload.js';

const { values } = parseArgs({
  // pnpm passes a literal `--` through to the script.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '3' },
    batches: { type: 'string', default: '1,16,64' },
    'entry-bytes': { type: 'string', default: '128' },
    pings: { type: 'string', default: '2000' },
  },
});
const seconds = Number(values.seconds);
const batches = values.batches.split(',').map(Number);
const entryBytes = Number(values['entry-bytes']);
const pings = Number(values.pings);

/** Replies from the receiver process. */
interface Counts {
  messages: number;
  entries: number;
  payloadBytes: number;
  /** CPU time the receiver used since the last reset. */
  cpuSeconds: number;
}
type ReceiverReply = { port: number } | { counts: Counts };

class Receiver {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(tls: TlsOptions | undefined): Promise<Receiver> {
    // The same Node flags (tsx's loader, the source condition) as this process.
    const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), [JSON.stringify({ tls: tls ?? null })], {
      execArgv: process.execArgv,
    });
    const [reply] = (await once(child, 'message')) as [ReceiverReply];
    if (!('port' in reply)) throw new Error('receiver did not report its port');
    return new Receiver(child, reply.port);
  }

  async command(cmd: { peer: string } | 'reset' | 'report'): Promise<Counts> {
    this.child.send(cmd);
    const [reply] = (await once(this.child, 'message')) as [ReceiverReply];
    if (!('counts' in reply)) throw new Error('receiver answered without counts');
    return reply.counts;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Sends appends as fast as the stream takes them for `seconds`; returns what the receiver counted. */
async function throughput(sender: GrpcTransport, receiver: Receiver, batch: number) {
  const perTurn = Math.max(1, Math.floor(256 / batch));
  // Keep enough queued that the stream never idles, and far from the drop limit.
  const highWater = 4 * perTurn;
  let index = 0;
  const warmupUntil = performance.now() + 300;
  while (performance.now() < warmupUntil) {
    sender.send([appendMessage(1, 2, index, batch, entryBytes)]);
    index += batch;
    await nextTurn();
  }
  while (sender.stats().peers[0]!.queueDepth > 0) await nextTurn();
  await receiver.command('reset');
  const before = sender.stats().peers[0]!;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    if (sender.stats().peers[0]!.queueDepth < highWater) {
      const out: Message[] = [];
      for (let i = 0; i < perTurn; i++) {
        out.push(appendMessage(1, 2, index, batch, entryBytes));
        index += batch;
      }
      sender.send(out);
    }
    await nextTurn();
  }
  while (sender.stats().peers[0]!.queueDepth > 0) await nextTurn();
  const counts = await receiver.command('report');
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = sender.stats().peers[0]!;
  if (after.dropped !== before.dropped) throw new Error(`the benchmark overran the queue: ${after.dropped - before.dropped} drops`);
  return {
    batch,
    msgsPerSec: counts.messages / elapsed,
    entriesPerSec: counts.entries / elapsed,
    payloadMBps: counts.payloadBytes / elapsed / 1e6,
    wireMBps: (after.sentBytes - before.sentBytes) / elapsed / 1e6,
    messagesPerFrame: (after.sent - before.sent) / Math.max(1, after.sentFrames - before.sentFrames),
    senderCpu: (cpu.user + cpu.system) / 1e6 / elapsed,
    receiverCpu: counts.cpuSeconds / elapsed,
  };
}

/** Round trips of one heartbeat and its response, one at a time. */
async function roundTrips(sender: GrpcTransport, waiter: { next: () => Promise<void> }): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < pings; i++) {
    const t0 = performance.now();
    const answered = waiter.next();
    sender.send([heartbeat(1, 2, i)]);
    await answered;
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function run(label: string, tls: { sender: TlsOptions; receiver: TlsOptions } | undefined): Promise<void> {
  const receiver = await Receiver.start(tls?.receiver);
  let resolveAnswer: (() => void) | undefined;
  const sender = new GrpcTransport({
    id: 1,
    clusterId: 1,
    tls: tls?.sender,
    peers: [{ id: 2, address: `localhost:${receiver.port}` }],
    handler: {
      onMessages: (ms) => {
        for (const m of ms) if (m.type === MessageType.HeartbeatResp) resolveAnswer?.();
      },
      onUnreachable: () => {},
      onSnapshotStatus: () => {},
    },
  });
  const port = await sender.listen('127.0.0.1:0');
  await receiver.command({ peer: `localhost:${port}` });
  try {
    console.log(`\n${label}`);
    console.log('  entries/msg   messages/s    entries/s   payload MB/s   wire MB/s   msgs/frame   CPU sender/receiver');
    for (const batch of batches) {
      const r = await throughput(sender, receiver, batch);
      console.log(
        `  ${String(r.batch).padStart(11)}  ${r.msgsPerSec.toFixed(0).padStart(11)}  ${r.entriesPerSec.toFixed(0).padStart(11)}` +
          `  ${r.payloadMBps.toFixed(1).padStart(13)}  ${r.wireMBps.toFixed(1).padStart(10)}  ${r.messagesPerFrame.toFixed(1).padStart(11)}` +
          `  ${`${(r.senderCpu * 100).toFixed(0)}% / ${(r.receiverCpu * 100).toFixed(0)}%`.padStart(20)}`,
      );
    }
    const waiter = {
      next: () =>
        new Promise<void>((resolve) => {
          resolveAnswer = resolve;
        }),
    };
    const rtt = await roundTrips(sender, waiter);
    console.log(
      `  heartbeat round trip (${pings}): p50 ${quantile(rtt, 0.5).toFixed(3)} ms, p99 ${quantile(rtt, 0.99).toFixed(3)} ms`,
    );
  } finally {
    await sender.close();
    await receiver.stop();
  }
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('Transport benchmark (bench/transport)');
  console.log(`  date ${new Date().toISOString()}, node ${process.version}`);
  console.log(`  cpu ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}, ${os.type()} ${os.release()}`);
  console.log(`  ${seconds} s per point, ${entryBytes} B entries; receiver in a child process; loopback`);

  measureCodec(entryBytes);

  await run('plaintext', undefined);
  const dir = await mkdtemp(join(os.tmpdir(), 'raftkit-bench-tls-'));
  try {
    const pki = await createPki(dir, ['n1', 'n2']);
    await run('mutual TLS', {
      sender: { caFile: pki.caFile, ...pki.node('n1') },
      receiver: { caFile: pki.caFile, ...pki.node('n2') },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
