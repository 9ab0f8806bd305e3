import { type ConformanceStore, logStorageConformanceCases } from '@raftkit/core/testing';
import { afterEach, describe, it } from 'vitest';
import { RaftStorage } from './raft-storage.js';
import { TempDirs } from './test-support/temp-dirs.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

/** The core's LogStorage contract, driven through the calls a node makes. */
async function openConformanceStore(dataDir: string): Promise<ConformanceStore> {
  const storage = await RaftStorage.open({ dataDir });
  return {
    storage: storage.log,
    append: (entries) => storage.log.persist({ entries }),
    setHardState: (hardState) => storage.log.persist({ hardState }),
    installSnapshot: async (snapshot) => {
      // A transport writes the received bytes before the core sees the message.
      await storage.snapshots.write(snapshot.metadata, snapshot.data);
      await storage.log.persist({ snapshot });
    },
    createSnapshot: async (i, confState) => {
      await storage.snapshots.write({ index: i, term: storage.log.term(i), confState }, new Uint8Array(0));
    },
    compact: (i) => storage.log.compact(i),
    reopen: async () => {
      await storage.close();
      return openConformanceStore(dataDir);
    },
    close: () => storage.close(),
  };
}

describe('LogStorage conformance', () => {
  for (const c of logStorageConformanceCases) {
    it(c.name, () => c.run(() => openConformanceStore(dirs.make())));
  }
});
