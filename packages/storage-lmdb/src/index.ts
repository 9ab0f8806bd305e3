/**
 * @raftkit/storage-lmdb — the durable state of a Raft member on LMDB: the
 * log (checksummed entries keyed by big-endian index), the hard state and
 * membership, snapshot files, and application state applied atomically with
 * its applied index. Start with {@link RaftStorage.open}.
 *
 * @packageDocumentation
 */
export { RaftStorage, type RaftStorageOptions, type BootstrapMembers, SNAPSHOT_DIR } from './raft-storage.js';
export { LmdbLogStorage, type PersistRequest, type LogIntegrityReport } from './log-storage.js';
export { SnapshotStore, BROKEN_SUFFIX } from './snapshot-store.js';
export { SnapshotWriter, type SnapshotFileInfo } from './snapshot-writer.js';
export { SnapshotReader, DEFAULT_SNAPSHOT_CHUNK_BYTES } from './snapshot-reader.js';
export {
  StateMachineStore,
  type StateMachineReader,
  type StateMachineWriter,
  type StateRangeOptions,
  type ApplyEntry,
  type PreparedApply,
  MAX_STATE_KEY_BYTES,
} from './state-machine-store.js';
export { type StateRecord } from './state-snapshot-codec.js';
export { LMDB_FILE } from './environment.js';
export {
  StorageError,
  StorageCorruptionError,
  SnapshotCorruptionError,
  StorageUsageError,
  StorageFailedError,
} from './errors.js';
