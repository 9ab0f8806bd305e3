import type { StateMachineReader, StateMachineWriter } from '@raftkit/storage-lmdb';
import type { KvRecord, KvTable, KvTableReader, ScanOptions } from './table.js';

/**
 * The LMDB state table as a {@link KvTable}. (Its own range options put the
 * upper bound first when scanning backwards; {@link ScanOptions} always
 * names the lower bound `start`.)
 */
export function lmdbTableReader(state: StateMachineReader): KvTableReader {
  return {
    get: (key) => state.get(key),
    range: (o: ScanOptions): Iterable<KvRecord> =>
      state.range({
        ...(o.reverse ? { start: o.end, end: o.start, reverse: true } : { start: o.start, end: o.end }),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      }),
  };
}

/** The LMDB state table inside an apply transaction, as a writable {@link KvTable}. */
export function lmdbTable(state: StateMachineWriter): KvTable {
  const reader = lmdbTableReader(state);
  return {
    ...reader,
    put: (key, value) => state.put(key, value),
    remove: (key) => state.remove(key),
  };
}

/** A read-only view that refuses writes (for evaluating read-only transactions). */
export function readOnlyTable(reader: KvTableReader): KvTable {
  const refuse = (): never => {
    throw new Error('read-only view of the key-value state: writes go through the Raft log');
  };
  return { ...reader, put: refuse, remove: refuse };
}
