import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, type Key, type RootDatabase, open } from 'lmdb';

/** File name of the LMDB environment inside the data directory. */
export const LMDB_FILE = 'raft.mdb';

/** The LMDB environment of one member and its tables. */
export interface LmdbTables {
  root: RootDatabase;
  /** Log entries, keyed by 8-byte big-endian index. */
  log: Database<Buffer, Uint8Array>;
  /** Hard state, membership, log boundary, applied index. */
  meta: Database<Buffer, string>;
  /** The application's state machine data. */
  state: Database<Uint8Array, Uint8Array>;
}

/**
 * Opens (creating) the environment in `dataDir`. With `noSync`, commits
 * are never flushed: a machine crash can lose or corrupt data.
 */
export function openTables(dataDir: string, options: { noSync: boolean }): LmdbTables {
  mkdirSync(dataDir, { recursive: true });
  const root = open({
    path: join(dataDir, LMDB_FILE),
    maxDbs: 8,
    noSync: options.noSync,
  });
  const binary = { keyEncoding: 'binary', encoding: 'binary' } as const;
  return {
    root,
    log: root.openDB<Buffer, Uint8Array>({ name: 'log', ...binary }),
    meta: root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' }),
    state: root.openDB<Uint8Array, Uint8Array>({ name: 'state', ...binary }),
  };
}

/** The lowest key of `db` (the highest with `reverse`), or `undefined` when it is empty. */
export function edgeKey<K extends Key>(db: Database<unknown, K>, reverse = false): K | undefined {
  for (const key of db.getKeys({ limit: 1, reverse })) return key;
  return undefined;
}
