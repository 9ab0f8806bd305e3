import { EntryType, type Message, MessageType, type RaftLogger, message } from '@raftkit/core';
import { GrpcTransport, type GrpcTransportOptions, type TransportHandler } from '../../src/index.js';

/** What a member's handler received, in arrival order. */
export interface Inbox {
  messages: Message[];
  /** Sizes of the delivered batches (one per frame). */
  batches: number[];
  unreachable: number[];
  snapshotStatus: { peer: number; ok: boolean }[];
}

/** A handler that records everything into an {@link Inbox}. */
export function recordingHandler(): { handler: TransportHandler; inbox: Inbox } {
  const inbox: Inbox = { messages: [], batches: [], unreachable: [], snapshotStatus: [] };
  return {
    inbox,
    handler: {
      onMessages: (ms) => {
        inbox.batches.push(ms.length);
        inbox.messages.push(...ms);
      },
      onUnreachable: (id) => inbox.unreachable.push(id),
      onSnapshotStatus: (peer, ok) => inbox.snapshotStatus.push({ peer, ok }),
    },
  };
}

/** A logger that keeps what was logged, for assertions. */
export function recordingLogger(): RaftLogger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A transport listening on a loopback port of its own. */
export interface Member {
  id: number;
  transport: GrpcTransport;
  port: number;
  address: string;
  inbox: Inbox;
}

/** Starts a member on 127.0.0.1, port 0, with a recording handler. */
export async function startMember(
  id: number,
  options: Partial<GrpcTransportOptions> = {},
  port = 0,
): Promise<Member> {
  const { handler, inbox } = recordingHandler();
  const transport = new GrpcTransport({ id, clusterId: 7, handler, backoff: { initialMs: 20, maxMs: 200 }, ...options });
  const bound = await transport.listen(`127.0.0.1:${port}`);
  return { id, transport, port: bound, address: `127.0.0.1:${bound}`, inbox };
}

/** Starts members 1..n that all know each other. */
export async function startCluster(n: number, options: Partial<GrpcTransportOptions> = {}): Promise<Member[]> {
  const members: Member[] = [];
  for (let id = 1; id <= n; id++) members.push(await startMember(id, options));
  for (const a of members) for (const b of members) if (a !== b) a.transport.setPeer({ id: b.id, address: b.address });
  return members;
}

/** Closes members, ignoring those already closed. */
export async function stopAll(members: readonly Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.transport.close()));
}

/** An append from `from` to `to` with `n` entries of `size` bytes, numbered from `index + 1`. */
export function app(from: number, to: number, index: number, n = 1, size = 8): Message {
  const entries = [];
  for (let i = 1; i <= n; i++) {
    const data = new Uint8Array(size);
    data.fill((index + i) & 0xff);
    entries.push({ term: 1, index: index + i, type: EntryType.Normal, data });
  }
  return message({ type: MessageType.App, from, to, term: 1, logTerm: 1, index, commit: index, entries });
}

/** A heartbeat from `from` to `to` whose commit field numbers it. */
export function heartbeat(from: number, to: number, commit: number): Message {
  return message({ type: MessageType.Heartbeat, from, to, term: 1, commit });
}

/** Polls `check` until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Stats of `peer` as seen by `m`. */
export function peerStats(m: Member, peer: number) {
  const s = m.transport.stats().peers.find((p) => p.id === peer);
  if (!s) throw new Error(`member ${m.id} has no peer ${peer}`);
  return s;
}
