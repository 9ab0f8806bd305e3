import { type LmdbTables, openTables } from '../environment.js';
import type { RaftStorage } from '../raft-storage.js';

/** The LMDB tables behind an open storage, for tests that look below the API. */
export function tablesOf(storage: RaftStorage): LmdbTables {
  return (storage as unknown as { tables: LmdbTables }).tables;
}

/** How many entries the log table physically holds. */
export function countLogKeys(storage: RaftStorage): number {
  return (tablesOf(storage).log.getStats() as { entryCount: number }).entryCount;
}

/** Opens the tables of a closed store directly, to damage them the way a disk would. */
export async function withRawTables(dataDir: string, body: (tables: LmdbTables) => void): Promise<void> {
  const tables = openTables(dataDir, { noSync: false });
  try {
    tables.root.transactionSync(() => body(tables));
  } finally {
    await tables.root.close();
  }
}
