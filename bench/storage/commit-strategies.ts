/**
 * Ways to make an LMDB commit durable, compared on the same lmdb-js build
 * the storage uses (resolved through @raftkit/storage-lmdb):
 *
 * - `transactionSync`: the commit flushes before the call returns, on the
 *   event loop's thread;
 * - async `transaction()` then `flushed`: with lmdb-js's default
 *   `overlappingSync` a resolved commit is not yet on disk, so the flush
 *   must be awaited separately;
 * - async `childTransaction()` then `flushed`: the same, each body a child
 *   transaction that can fail alone (what `LmdbLogStorage.persist` and
 *   `StateMachineStore.apply` do);
 * - async `transaction()` with `overlappingSync` off: the commit promise
 *   resolves once the commit is flushed.
 *
 * All of them issue one fdatasync per commit; what differs is the hand-off
 * to lmdb-js's write thread, which costs CPU and latency but leaves the
 * event loop free while the disk flushes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Rate, runFor } from './measure.js';

/** The few lmdb-js calls this comparison makes. */
interface LmdbRoot {
  openDB(options: { name: string; keyEncoding: 'binary'; encoding: 'binary' }): { putSync(key: Buffer, value: Buffer): boolean };
  transactionSync<T>(action: () => T): T;
  transaction<T>(action: () => T): Promise<T>;
  childTransaction<T>(action: () => T): Promise<T>;
  flushed: PromiseLike<boolean>;
  close(): Promise<void>;
}
type OpenLmdb = (options: { path: string; maxDbs: number; overlappingSync: boolean }) => LmdbRoot;

/** lmdb-js as @raftkit/storage-lmdb resolves it (the bench does not depend on lmdb directly). */
function loadLmdb(): OpenLmdb {
  const storageEntry = fileURLToPath(import.meta.resolve('@raftkit/storage-lmdb'));
  return (createRequire(storageEntry)('lmdb') as { open: OpenLmdb }).open;
}

export type CommitStrategy = 'transactionSync' | 'transaction + flushed' | 'childTransaction + flushed' | 'transaction, overlappingSync off';

export const COMMIT_STRATEGIES: CommitStrategy[] = ['transactionSync', 'transaction + flushed', 'childTransaction + flushed', 'transaction, overlappingSync off'];

/** Durable commits per second of `batch` entries of `entryBytes` each, under `strategy`. */
export async function measureCommitStrategy(parent: string, strategy: CommitStrategy, batch: number, entryBytes: number, seconds: number): Promise<Rate> {
  const dir = mkdtempSync(join(parent, 'commit-'));
  const root = loadLmdb()({ path: join(dir, 'raft.mdb'), maxDbs: 4, overlappingSync: strategy !== 'transaction, overlappingSync off' });
  const log = root.openDB({ name: 'log', keyEncoding: 'binary', encoding: 'binary' });
  const value = Buffer.alloc(entryBytes + 13, 0x5a);
  let index = 0;
  const write = (): void => {
    for (let i = 0; i < batch; i++) {
      const key = Buffer.alloc(8);
      key.writeUInt32BE(++index, 4);
      log.putSync(key, value);
    }
  };
  try {
    return await runFor(seconds, async () => {
      if (strategy === 'transactionSync') {
        root.transactionSync(write);
      } else if (strategy === 'transaction + flushed') {
        await root.transaction(write);
        await root.flushed;
      } else if (strategy === 'childTransaction + flushed') {
        await root.childTransaction(write);
        await root.flushed;
      } else {
        await root.transaction(write);
      }
    });
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
