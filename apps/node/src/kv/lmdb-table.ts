import type { StateMachineReader, StateMachineWriter } from '@raftkit/storage-lmdb';
import { compareBytes, type KvRecord, type KvTable, type KvTableReader, type ScanOptions } from './table.js';

/** The LMDB state table as a {@link KvTable}. */
export function lmdbTableReader(state: StateMachineReader): KvTableReader {
  return {
    get: (key) => state.get(key),
    range: (o: ScanOptions): Iterable<KvRecord> =>
      o.reverse
        ? reverseScan(state, o)
        : state.range({
            ...(o.start !== undefined ? { start: o.start } : {}),
            ...(o.end !== undefined ? { end: o.end } : {}),
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
          }),
  };
}

/**
 * `[start, end)` walked from the end. LMDB's own backward range is
 * `(end, start]` with the upper bound named `start`, so both edges differ from
 * {@link ScanOptions}: walk back from `o.end` (skipping `o.end` itself) and
 * stop below `o.start`, counting the limit only over records inside the range.
 */
function* reverseScan(state: StateMachineReader, o: ScanOptions): Generator<KvRecord> {
  let taken = 0;
  for (const record of state.range({ ...(o.end !== undefined ? { start: o.end } : {}), reverse: true })) {
    if (o.end !== undefined && compareBytes(record.key, o.end) >= 0) continue;
    if (o.start !== undefined && compareBytes(record.key, o.start) < 0) return;
    if (o.limit !== undefined && taken++ >= o.limit) return;
    yield record;
  }
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
