import { join, resolve } from 'node:path';
import { EMPTY_BYTES, type Entry, MemoryStorage, type RaftLogger, isEmptyHardState, silentLogger } from '@raftkit/core';
import { type LmdbTables, openTables } from './environment.js';
import { StorageUsageError } from './errors.js';
import { LmdbLogStorage, type PersistRequest } from './log-storage.js';
import { MetaTable, checkFormat } from './meta-table.js';
import { DEFAULT_SNAPSHOT_CHUNK_BYTES } from './snapshot-reader.js';
import { SnapshotStore } from './snapshot-store.js';
import { type ApplyEntry, StateMachineStore } from './state-machine-store.js';
import { DEFAULT_FLUSH_TIMEOUT_MS, StorageHealth } from './storage-health.js';
import { describe, requireInteger } from './validate.js';

/**
 * Data directories open in this process. lmdb-js shares one environment per
 * path within a process, so a second store on the same directory would not
 * be isolated from the first (and closing either would close both).
 */
const openDirs = new Set<string>();

/** Name of the snapshot directory inside the data directory. */
export const SNAPSHOT_DIR = 'snap';

/** The initial membership of a founding member of a new cluster. */
export interface BootstrapMembers {
  voters: number[];
  learners?: number[];
}

/** How to open a {@link RaftStorage}. */
export interface RaftStorageOptions {
  /** The member's data directory (created if missing). One member per directory. */
  dataDir: string;
  /**
   * The initial membership, for a founding member of a new cluster. Used
   * only when the data directory holds no Raft state yet, and ignored after
   * (like etcd's initial cluster setting). A member joining an existing
   * cluster leaves it out and starts empty.
   */
  bootstrap?: BootstrapMembers;
  /** Where damaged snapshot files and similar events are reported. Default: nowhere. */
  logger?: RaftLogger;
  /** How many of the newest snapshots to keep. Default 2. */
  retainSnapshots?: number;
  /** Size of the chunks snapshot readers yield and the state machine writes. Default 256 KiB. */
  snapshotChunkBytes?: number;
  /** Entries deleted per transaction when compacting. Default 8192. */
  compactionBatch?: number;
  /**
   * How long a flush to disk may take before the store gives the disk up
   * and fails (lmdb-js leaves a failed sync pending forever). Default 60 s,
   * far beyond a healthy disk; a store that failed must be reopened.
   */
  flushTimeoutMs?: number;
  /**
   * UNSAFE, for tests only: never flush to disk. A process crash loses
   * nothing, but a machine crash or power loss can lose acknowledged writes
   * or corrupt the store.
   */
  unsafeNoSync?: boolean;
}

/**
 * The durable state of one Raft member in its data directory:
 *
 * - {@link log}: the log, hard state and membership (the core's `LogStorage`, plus `persist` and `compact`);
 * - {@link snapshots}: snapshot files, streamed in and out in chunks;
 * - {@link stateMachine}: application state that is applied atomically with the applied index.
 *
 * @example
 * ```ts
 * const storage = await RaftStorage.open({ dataDir: './data', bootstrap: { voters: [1] } });
 * await storage.stateMachine.restoreIfNeeded();
 * const node = new RawNode({ id: 1, storage: storage.log, electionTick: 10, heartbeatTick: 1,
 *   applied: storage.stateMachine.appliedIndex() });
 * ```
 */
export class RaftStorage {
  private constructor(
    /** The data directory. */
    readonly dataDir: string,
    /** The log; pass it to `RawNode` as `storage`. */
    readonly log: LmdbLogStorage,
    /** The snapshot files. */
    readonly snapshots: SnapshotStore,
    /** The application state helper. */
    readonly stateMachine: StateMachineStore,
    private readonly tables: LmdbTables,
    private readonly health: StorageHealth,
    private readonly dirKey: string,
  ) {}

  /**
   * Opens (creating) the storage in `options.dataDir`, checking what it
   * finds: a log that is not contiguous or a damaged record fails the open
   * with a {@link StorageCorruptionError}.
   */
  static async open(options: RaftStorageOptions): Promise<RaftStorage> {
    if (typeof options?.dataDir !== 'string' || options.dataDir === '') {
      throw new StorageUsageError(`dataDir is ${describe(options?.dataDir)}; expected the path of the member's data directory`);
    }
    const dataDir = options.dataDir;
    const chunkBytes = requireInteger('snapshotChunkBytes', options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES, 1);
    const compactionBatch = requireInteger('compactionBatch', options.compactionBatch ?? 8192, 1);
    const flushTimeoutMs = requireInteger('flushTimeoutMs', options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS, 1);
    const retain = requireInteger('retainSnapshots', options.retainSnapshots ?? 2, 1);
    const bootstrap = options.bootstrap && requireMembers(options.bootstrap);
    const sync = options.unsafeNoSync !== true;
    const logger = options.logger ?? silentLogger;
    if (!sync) logger.warn('raft storage opened with unsafeNoSync: writes are not flushed to disk', { dataDir });

    const dirKey = resolve(dataDir);
    if (openDirs.has(dirKey)) throw new StorageUsageError(`raft storage in ${dataDir} is already open in this process; close it before opening it again`);
    openDirs.add(dirKey);
    let tables: LmdbTables | undefined;
    try {
      tables = openTables(dataDir, { noSync: !sync });
      const health = new StorageHealth(dataDir, flushTimeoutMs);
      const meta = new MetaTable(tables.meta, dataDir);
      checkFormat(tables, meta, health, dataDir);
      const snapshots = await SnapshotStore.open({ dir: join(dataDir, SNAPSHOT_DIR), retain, sync, logger, chunkBytes });
      const log = await LmdbLogStorage.open({ dataDir, tables, meta, snapshots, health, compactionBatch });
      if (bootstrap && isFresh(log, meta)) await bootstrapMembers(log, snapshots, meta, bootstrap);
      const stateMachine = new StateMachineStore({ dataDir, tables, meta, health, log, snapshots, snapshotChunkBytes: chunkBytes });
      return new RaftStorage(dataDir, log, snapshots, stateMachine, tables, health, dirKey);
    } catch (e) {
      await tables?.root.close();
      openDirs.delete(dirKey);
      throw e;
    }
  }

  /**
   * Handles the storage side of one Ready in a single durable transaction:
   * persists its entries and hard state and applies its committed entries
   * (as {@link StateMachineStore.apply} does), so a Ready costs one flush
   * instead of two. Send `messagesAfterPersist` and call `advance()` once it
   * resolves.
   *
   * Applying in the persist's transaction is safe: committed entries are
   * committed whether or not this member has written them yet, and any of
   * them that arrive in this same Ready become durable together with their
   * application. A Ready that installs a snapshot takes three steps instead
   * (persist, restore the state from the snapshot, apply), because the
   * restore streams the snapshot file in batches.
   *
   * @example
   * ```ts
   * const rd = node.ready();
   * send(rd.messages);
   * await storage.persistAndApply(rd, (entry, state) => applyCommand(entry, state));
   * send(rd.messagesAfterPersist);
   * node.advance();
   * ```
   */
  async persistAndApply(ready: PersistRequest & { committedEntries: readonly Entry[] }, applyEntry: ApplyEntry): Promise<void> {
    if (ready.snapshot) {
      await this.log.persist(ready);
      await this.stateMachine.restoreFromSnapshot(ready.snapshot.metadata);
      await this.stateMachine.apply(ready.committedEntries, applyEntry);
      return;
    }
    const batch = this.stateMachine.prepareApply(ready.committedEntries, applyEntry);
    await this.log.persistWith(ready, () => batch.write());
    batch.done();
  }

  /** Waits for a running compaction to stop, then closes the environment. Further use throws. */
  async close(): Promise<void> {
    if (this.health.isClosed) return;
    this.health.markClosed();
    try {
      await this.log.whenCompacted().catch(() => {});
      await this.tables.root.close();
    } finally {
      openDirs.delete(this.dirKey);
    }
  }
}

function isFresh(log: LmdbLogStorage, meta: MetaTable): boolean {
  const { hardState } = log.initialState();
  return log.lastIndex() === 0 && isEmptyHardState(hardState) && meta.get('confState') === undefined;
}

/**
 * Records the initial membership exactly as the core's
 * `MemoryStorage.withMembers` does, so both stores start a founding member
 * from the same state (today: a snapshot at index 1 naming the members,
 * with an empty application state that counts as applied).
 */
async function bootstrapMembers(log: LmdbLogStorage, snapshots: SnapshotStore, meta: MetaTable, members: Required<BootstrapMembers>): Promise<void> {
  const reference = MemoryStorage.withMembers(members.voters, members.learners);
  const snapshot = reference.snapshot();
  const { hardState, confState } = reference.initialState();
  const hs = isEmptyHardState(hardState) ? undefined : hardState;
  if (snapshot.metadata.index === 0) {
    await log.persistWith({ hardState: hs }, () => meta.put('confState', confState));
    return;
  }
  snapshots.writeSync(snapshot.metadata, EMPTY_BYTES);
  await log.persistWith({ snapshot: { metadata: snapshot.metadata, data: EMPTY_BYTES }, hardState: hs }, () =>
    meta.put('applied', { index: snapshot.metadata.index }),
  );
}

function requireMembers(members: BootstrapMembers): Required<BootstrapMembers> {
  const voters = members.voters;
  const learners = members.learners ?? [];
  if (!Array.isArray(voters) || voters.length === 0) {
    throw new StorageUsageError(`bootstrap.voters is ${describe(voters)}; expected a non-empty array of member ids`);
  }
  if (!Array.isArray(learners)) throw new StorageUsageError(`bootstrap.learners is ${describe(learners)}; expected an array of member ids`);
  voters.forEach((id, i) => requireInteger(`bootstrap.voters[${i}]`, id, 1));
  learners.forEach((id, i) => requireInteger(`bootstrap.learners[${i}]`, id, 1));
  const seen = new Set<number>();
  for (const id of [...voters, ...learners]) {
    if (seen.has(id)) throw new StorageUsageError(`bootstrap member ${id} is listed twice; expected each id once among voters and learners`);
    seen.add(id);
  }
  return { voters: [...voters], learners: [...learners] };
}
