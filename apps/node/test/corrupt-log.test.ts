/**
 * A member whose log was damaged on disk while it was down: one bit of a
 * stored entry flipped, as a failing disk would flip it. Restarted, it must
 * refuse to serve with an error naming its data directory and the damaged
 * index, and never answer with data the damaged entry would have produced.
 * The last entry is checked when the store opens; an earlier one, already
 * applied, is found by the check of every entry the server makes at start.
 */
import type { ServiceError } from '@grpc/grpc-js';
import type { etcdserverpb } from '@raftkit/proto';
import { RaftStorage } from '@raftkit/storage-lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCluster, putReq, rangeReq } from './support/local-cluster.js';

const enc = new TextEncoder();
const KEYS = Array.from({ length: 20 }, (_, i) => `corrupt/${String(i).padStart(2, '0')}`);
const valueOf = (key: string): string => `value of ${key}`;

/** The LMDB table of log entries, which storage-lmdb keeps private; its own corruption tests reach it the same way. */
interface RawLogTable {
  getBinary(key: Buffer): Uint8Array | undefined;
  putSync(key: Buffer, value: Uint8Array): void;
}

/** The key an entry is stored under: its index, 8 bytes big-endian. */
function logKey(index: number): Buffer {
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(BigInt(index));
  return key;
}

function find(bytes: Uint8Array, part: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(enc.encode(part));
}

/**
 * Flips one bit inside the value of the stored entry that puts `key`, in the
 * closed store in `dataDir`; returns that entry's index and the last index.
 */
async function flipBitInPutOf(dataDir: string, key: string): Promise<{ index: number; last: number }> {
  const storage = await RaftStorage.open({ dataDir });
  try {
    const { log } = storage;
    const last = log.lastIndex();
    const entry = log.entries(log.firstIndex(), last + 1, Number.MAX_SAFE_INTEGER).find((e) => find(e.data, key) >= 0);
    if (!entry) throw new Error(`no entry in ${dataDir} puts ${key}`);
    const table = (storage as unknown as { tables: { log: RawLogTable } }).tables.log;
    const value = Buffer.from(table.getBinary(logKey(entry.index))!);
    const at = find(value, valueOf(key));
    expect(at).toBeGreaterThan(0);
    value[at + 3]! ^= 0x01;
    table.putSync(logKey(entry.index), value);
    return { index: entry.index, last };
  } finally {
    await storage.close();
  }
}

describe('a member restarted over a damaged log entry', () => {
  let c: LocalCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  const cases = [
    { which: 'the last entry', key: KEYS.at(-1)! },
    { which: 'an entry it already applied', key: KEYS[7]! },
  ];
  for (const { which, key } of cases) {
    it(`exits non-zero, naming the data dir and the index, when the damage is in ${which}`, async () => {
      c = await LocalCluster.create([1]);
      const cluster = c;
      cluster.start(1);
      await cluster.waitForLeader();
      for (const k of KEYS) await cluster.kv<etcdserverpb.PutRequest, etcdserverpb.PutResponse>(1, 'put', putReq(k, valueOf(k)));
      expect(await cluster.kill(1, 'SIGTERM'), cluster.logs()).toBe(0);

      const { dataDir } = cluster.member(1);
      const { index, last } = await flipBitInPutOf(dataDir, key);
      expect(index < last).toBe(key !== KEYS.at(-1));
      const before = cluster.logOf(1).length;

      // Until it exits, every answer it gives must be right.
      cluster.start(1);
      const proc = cluster.member(1).proc!;
      const exited = new Promise<number | null>((r) => proc.once('exit', r));
      let running = true;
      void exited.then(() => (running = false));
      const answers: string[] = [];
      const deadline = Date.now() + 20_000;
      while (running && Date.now() < deadline) {
        try {
          const r = await cluster.kv<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse>(1, 'range', rangeReq(key), 500);
          answers.push(r.kvs.map((kv) => Buffer.from(kv.value).toString()).join());
        } catch (e) {
          if ((e as ServiceError).code === undefined) throw e;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(running, 'the member is still running').toBe(false);
      expect(answers.filter((a) => a !== valueOf(key))).toEqual([]);

      expect(await exited).not.toBe(0);
      const output = cluster.logOf(1).slice(before);
      expect(output).toContain(`raft storage in ${dataDir} is corrupted at log index ${index}: entry checksum mismatch`);
      expect(output).not.toContain('raftkit member started');
    });
  }
});
