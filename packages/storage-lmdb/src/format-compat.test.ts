import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfState, EMPTY_BYTES, type Entry, EntryType, type HardState, type SnapshotMetadata } from '@raftkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from './entry-codec.js';
import { StorageUsageError } from './errors.js';
import { logKey, logKeyIndex } from './log-key.js';
import { FORMAT_VERSION, type MetaKey, MetaTable } from './meta-table.js';
import { RaftStorage, SNAPSHOT_DIR } from './raft-storage.js';
import { decodeSnapshotHeader, decodeSnapshotPrefix, encodeSnapshotHead, parseSnapshotFileName, snapshotFileName, SNAPSHOT_PREFIX_BYTES } from './snapshot-format.js';
import { StateSnapshotDecoder, StateSnapshotEncoder } from './state-snapshot-codec.js';
import { withRawTables } from './test-support/raw-tables.js';
import { TempDirs } from './test-support/temp-dirs.js';

/*
 * Scenario 31, rolling upgrade (after hashicorp/raft-compat's RollingUpgrade
 * and openraft's t10_wire_compat_09): a member upgraded in place opens the
 * data directory the previous version wrote, and a snapshot file one version
 * wrote is read by the other. These tests pin the bytes of the on-disk format
 * of FORMAT_VERSION 1: the log key and entry value (with its checksum), the
 * meta records (format, hard state, membership, log boundary, applied index,
 * interrupted restore), the snapshot file (header, data, trailer, name) and
 * the state snapshot data; they check that a directory built from those
 * bytes opens with everything in it, and that a directory of another format
 * version is refused with an error naming it and both versions.
 *
 * WHEN A TEST HERE FAILS: the on-disk format changed, so this version would
 * misread (or the previous version could not read) an existing data
 * directory. If the change is deliberate: bump FORMAT_VERSION, give the new
 * version a way to open version-1 directories (an upgrade on open, or at
 * least the clear refusal pinned below), record the new bytes as the
 * fixtures of the new version and keep these as the old version's for the
 * upgrade test. Otherwise revert the change.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The format the fixtures below are of. */
const PINNED_FORMAT_VERSION = 1;
const CHANGED = `the on-disk format of FORMAT_VERSION ${PINNED_FORMAT_VERSION} changed; see the comment at the top of format-compat.test.ts (bump the version with an upgrade path, or revert)`;

/** A term/index past 32 bits, so the high halves are pinned too. */
const BIG = 2 ** 40 + 3;

const dirs = new TempDirs();
const open: RaftStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  dirs.cleanup();
});

async function openStore(dataDir: string): Promise<RaftStorage> {
  const s = await RaftStorage.open({ dataDir });
  open.push(s);
  return s;
}

describe('scenario 31 (rolling upgrade): the log key and entry value are byte-for-byte stable', () => {
  const GOLDEN: Array<{ entry: Entry; key: string; value: string }> = [
    { entry: { index: 1, term: 1, type: EntryType.Normal, data: EMPTY_BYTES }, key: '0000000000000001', value: '3f36abc2000000000000000100' },
    { entry: { index: 300, term: 7, type: EntryType.ConfChange, data: hex('0100020004020500') }, key: '000000000000012c', value: 'fac6563e0000000000000007010100020004020500' },
    { entry: { index: BIG, term: BIG - 1, type: EntryType.Normal, data: text('put a=1') }, key: '0000010000000003', value: '3d4e706f00000100000000020070757420613d31' },
  ];

  it.each(GOLDEN)('encodes the entry at index $entry.index as committed', ({ entry, key, value }) => {
    expect(FORMAT_VERSION, CHANGED).toBe(PINNED_FORMAT_VERSION);
    expect(toHex(logKey(entry.index)), CHANGED).toBe(key);
    expect(toHex(encodeEntry(entry, logKey(entry.index))), CHANGED).toBe(value);
  });

  it.each(GOLDEN)('decodes the committed entry at index $entry.index', ({ entry, key, value }) => {
    expect(logKeyIndex(hex(key))).toBe(entry.index);
    expect(decodeEntry(entry.index, hex(key), hex(value))).toEqual(entry);
  });
});

describe('scenario 31 (rolling upgrade): the snapshot file format is byte-for-byte stable', () => {
  const metadata: SnapshotMetadata = {
    index: BIG,
    term: 9,
    confState: { voters: [1, 2, 3], learners: [5], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: true },
  };
  const NAME = '0000000000000009-0000010000000003.snap';
  // "RKSNAP01" | header length | header CRC-32 | {"index":1099511627779,"term":9,"confState":{...}}
  const HEAD =
    '524b534e415030310000008b84ef7260' +
    '7b22696e646578223a313039393531313632373737392c227465726d223a392c22636f6e665374617465223a7b22766f74657273223a5b312c322c335d2c' +
    '226c6561726e657273223a5b355d2c22766f746572734f7574676f696e67223a5b312c322c345d2c226c6561726e6572734e657874223a5b345d2c22' +
    '6175746f4c65617665223a747275657d7d';
  // "RKSTATE1", then per record: key length (4) | key | value length (4) | value.
  const STATE_DATA = '524b535441544531' + '00000001' + '61' + '00000001' + '31' + '00000002' + '00ff' + '00000000' + '00000003' + '6b6579' + '00000005' + '76616c7565';

  it('names and heads a snapshot file as committed', () => {
    expect(snapshotFileName(metadata), CHANGED).toBe(NAME);
    expect(parseSnapshotFileName(NAME)).toEqual({ term: metadata.term, index: metadata.index });
    expect(toHex(encodeSnapshotHead(metadata)), CHANGED).toBe(HEAD);
  });

  it('reads the committed head', () => {
    const head = Buffer.from(hex(HEAD));
    const { headerLength, headerChecksum } = decodeSnapshotPrefix('x.snap', head.subarray(0, SNAPSHOT_PREFIX_BYTES));
    expect(decodeSnapshotHeader('x.snap', head.subarray(SNAPSHOT_PREFIX_BYTES, SNAPSHOT_PREFIX_BYTES + headerLength), headerChecksum)).toEqual(metadata);
  });

  it('encodes the state snapshot data as committed and decodes it back', () => {
    const records = [
      { key: text('a'), value: text('1') },
      { key: hex('00ff'), value: EMPTY_BYTES },
      { key: text('key'), value: text('value') },
    ];
    const encoder = new StateSnapshotEncoder(1 << 16);
    for (const r of records) expect(encoder.add(r)).toBeUndefined();
    expect(toHex(encoder.finish()), CHANGED).toBe(STATE_DATA);
    const decoder = new StateSnapshotDecoder('9/1');
    const decoded = [...decoder.push(Buffer.from(hex(STATE_DATA)))];
    decoder.end();
    expect(decoded.map((r) => [toHex(r.key), toHex(r.value)])).toEqual(records.map((r) => [toHex(r.key), toHex(r.value)]));
  });
});

/*
 * A data directory as the store writes it: entries 1..5, a hard state, a
 * joint membership applied at entry 2, entries applied through 4 (putting
 * one state key each), a snapshot at 4 and the log compacted through 3.
 */
const ENTRIES: Entry[] = [
  { index: 1, term: 1, type: EntryType.Normal, data: EMPTY_BYTES },
  { index: 2, term: 1, type: EntryType.ConfChange, data: hex('0100020004020500') },
  { index: 3, term: 2, type: EntryType.Normal, data: text('put a=1') },
  { index: 4, term: 2, type: EntryType.Normal, data: text('put b=2') },
  { index: 5, term: 2, type: EntryType.Normal, data: text('put c=3') },
];
const HARD_STATE: HardState = { term: 2, vote: 1, commit: 4 };
const CONF_STATE: ConfState = { voters: [1, 2, 3], learners: [5], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: true };

/** The bytes of that directory: meta records, log records (key → value), state records, snapshot file. */
const DIR = {
  // Each meta record is the CRC-32 of its JSON body, then the body.
  meta: {
    applied: '90b69654' + '7b22696e646578223a347d', // {"index":4}
    boundary: '9bae3ab6' + '7b22696e646578223a332c227465726d223a327d', // {"index":3,"term":2}
    // {"voters":[1,2,3],"learners":[5],"votersOutgoing":[1,2,4],"learnersNext":[4],"autoLeave":true}
    confState:
      'fc7da9b3' +
      '7b22766f74657273223a5b312c322c335d2c226c6561726e657273223a5b355d2c22766f746572734f7574676f696e67223a5b312c322c345d2c226c6561726e6572734e657874223a5b345d2c22' +
      '6175746f4c65617665223a747275657d',
    format: '71309a33' + '7b2276657273696f6e223a317d', // {"version":1}
    hardState: 'e4424b87' + '7b227465726d223a322c22766f7465223a312c22636f6d6d6974223a347d', // {"term":2,"vote":1,"commit":4}
  } as Record<string, string>,
  // Key: the index, 8 bytes big-endian. Value: CRC-32 (over key and value) | term (8) | type (1) | data.
  log: {
    '0000000000000004': '0cb46671' + '0000000000000002' + '00' + '70757420623d32',
    '0000000000000005': 'fdd7f793' + '0000000000000002' + '00' + '70757420633d33',
  } as Record<string, string>,
  // The application's records, opaque to the store.
  state: { '6b33': '70757420613d31', '6b34': '70757420623d32' } as Record<string, string>,
  snapshot: {
    name: '0000000000000002-0000000000000004.snap',
    // Head (magic, header length, header CRC-32, header JSON), the state snapshot data, data length (8), CRC-32 of all before.
    bytes:
      '524b534e415030310000007f4146f19b' +
      '7b22696e646578223a342c227465726d223a322c22636f6e665374617465223a7b22766f74657273223a5b312c322c335d2c226c6561726e657273223a5b35' +
      '5d2c22766f746572734f7574676f696e67223a5b312c322c345d2c226c6561726e6572734e657874223a5b345d2c226175746f4c65617665223a747275657d7d' +
      '524b535441544531000000026b330000000770757420613d31000000026b340000000770757420623d32' +
      '000000000000002a' +
      'a90cbda8',
  },
};

async function writeReferenceDir(dataDir: string): Promise<void> {
  const s = await RaftStorage.open({ dataDir });
  try {
    await s.log.persist({ entries: ENTRIES, hardState: HARD_STATE });
    await s.stateMachine.apply(ENTRIES.slice(0, 4), (e, state) => {
      if (e.type === EntryType.ConfChange) return CONF_STATE;
      if (e.data.length > 0) state.put(text(`k${e.index}`), e.data);
      return undefined;
    });
    await s.stateMachine.createSnapshot();
    await s.log.compact(3);
    await s.log.whenCompacted();
  } finally {
    await s.close();
  }
}

describe('scenario 31 (rolling upgrade): a data directory is written byte-for-byte as committed', () => {
  it('writes the committed meta, log and state records and snapshot file', async () => {
    const dataDir = dirs.make();
    await writeReferenceDir(dataDir);
    const found = { meta: {} as Record<string, string>, log: {} as Record<string, string>, state: {} as Record<string, string> };
    await withRawTables(dataDir, (t) => {
      for (const { key, value } of t.meta.getRange()) found.meta[key] = toHex(value);
      for (const { key, value } of t.log.getRange()) found.log[toHex(key)] = toHex(value);
      for (const { key, value } of t.state.getRange()) found.state[toHex(key)] = toHex(value);
    });
    expect(found.meta, CHANGED).toEqual(DIR.meta);
    expect(found.log, CHANGED).toEqual(DIR.log);
    expect(found.state, CHANGED).toEqual(DIR.state);
    const snapDir = join(dataDir, SNAPSHOT_DIR);
    expect(readdirSync(snapDir), CHANGED).toEqual([DIR.snapshot.name]);
    expect(toHex(readFileSync(join(snapDir, DIR.snapshot.name))), CHANGED).toBe(DIR.snapshot.bytes);
  });
});

/** Writes a data directory from raw bytes, as an older version would have left it. */
async function dirFromBytes(bytes: typeof DIR, extraMeta: Partial<Record<MetaKey, string>> = {}): Promise<string> {
  const dataDir = dirs.make();
  await withRawTables(dataDir, (t) => {
    for (const [key, value] of Object.entries({ ...bytes.meta, ...extraMeta })) t.meta.putSync(key, Buffer.from(hex(value!)));
    for (const [key, value] of Object.entries(bytes.log)) t.log.putSync(Buffer.from(hex(key)), Buffer.from(hex(value)));
    for (const [key, value] of Object.entries(bytes.state)) t.state.putSync(hex(key), hex(value));
  });
  mkdirSync(join(dataDir, SNAPSHOT_DIR));
  writeFileSync(join(dataDir, SNAPSHOT_DIR, bytes.snapshot.name), hex(bytes.snapshot.bytes));
  return dataDir;
}

describe('scenario 31 (rolling upgrade): a data directory of format version 1 opens with everything in it', () => {
  it('reads the log, hard state, membership, applied state and snapshot', async () => {
    const dataDir = await dirFromBytes(DIR);
    const s = await openStore(dataDir);
    expect(s.log.initialState()).toEqual({ hardState: HARD_STATE, confState: CONF_STATE });
    expect([s.log.firstIndex(), s.log.lastIndex(), s.log.term(3)]).toEqual([4, 5, 2]);
    expect(s.log.entries(4, 6, Infinity)).toEqual(ENTRIES.slice(3));
    expect(s.log.checkIntegrity()).toEqual({ firstIndex: 4, lastIndex: 5, entries: 2 });
    expect(s.stateMachine.needsRestore()).toBe(false);
    expect(s.stateMachine.appliedIndex()).toBe(4);
    expect([...s.stateMachine.range()].map((r) => [Buffer.from(r.key).toString(), Buffer.from(r.value).toString()])).toEqual([
      ['k3', 'put a=1'],
      ['k4', 'put b=2'],
    ]);
    expect(s.snapshots.latest()).toEqual({ index: 4, term: 2, confState: CONF_STATE });
    const decoder = new StateSnapshotDecoder('2/4');
    const records = [...decoder.push(Buffer.from(await s.snapshots.read({ index: 4, term: 2 })))];
    decoder.end();
    expect(records.map((r) => [Buffer.from(r.key).toString(), Buffer.from(r.value).toString()])).toEqual([
      ['k3', 'put a=1'],
      ['k4', 'put b=2'],
    ]);
  });

  it('finishes a restore the previous version was interrupted in', async () => {
    // What the store records before it clears the state for a restore: the snapshot's metadata.
    const restoring =
      '4146f19b' +
      '7b22696e646578223a342c227465726d223a322c22636f6e665374617465223a7b22766f74657273223a5b312c322c335d2c226c6561726e657273223a5b35' +
      '5d2c22766f746572734f7574676f696e67223a5b312c322c345d2c226c6561726e6572734e657874223a5b345d2c226175746f4c65617665223a747275657d7d';
    const dataDir = await dirFromBytes({ ...DIR, state: {} }, { restoring });
    const s = await openStore(dataDir);
    expect(s.stateMachine.needsRestore()).toBe(true);
    expect(await s.stateMachine.restoreIfNeeded()).toBe(true);
    expect(s.stateMachine.appliedIndex()).toBe(4);
    expect([...s.stateMachine.range()].map((r) => Buffer.from(r.key).toString())).toEqual(['k3', 'k4']);
  });

  it('pins the meta record framing: CRC-32 of the JSON body, then the body', async () => {
    const dataDir = dirs.make();
    await withRawTables(dataDir, (t) => {
      const meta = new MetaTable(t.meta, dataDir);
      for (const [key, value] of Object.entries(DIR.meta)) {
        t.meta.putSync(key, Buffer.from(hex(value)));
        const decoded = meta.get(key as MetaKey);
        meta.put(key as MetaKey, decoded!);
        expect(toHex(t.meta.getBinary(key)!), `${CHANGED} (meta record "${key}")`).toBe(value);
      }
    });
  });
});

describe('scenario 31 (rolling upgrade): a data directory of another format version is refused', () => {
  it.each([0, 2, 99])('refuses format version %i, naming the directory and both versions, and keeps its format record', async (version) => {
    const dataDir = dirs.make();
    await withRawTables(dataDir, (t) => new MetaTable(t.meta, dataDir).put('format', { version }));
    const attempt = RaftStorage.open({ dataDir });
    await expect(attempt).rejects.toThrow(StorageUsageError);
    await expect(attempt).rejects.toThrow(`raft storage in ${dataDir} has format version ${version}; this version reads only ${FORMAT_VERSION}`);
    await withRawTables(dataDir, (t) => expect(new MetaTable(t.meta, dataDir).get('format')).toEqual({ version }));
    // The refusal released the directory: the same process may open it again (and is refused again).
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(StorageUsageError);
  });

  it('refuses a full data directory of format version 1 whose format record says 2', async () => {
    const dataDir = await dirFromBytes(DIR);
    await withRawTables(dataDir, (t) => new MetaTable(t.meta, dataDir).put('format', { version: 2 }));
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(`raft storage in ${dataDir} has format version 2; this version reads only ${FORMAT_VERSION}`);
  });

  it("leaves a newer version's snapshot files and temporary files as they were (a rolled-back upgrade)", async () => {
    const dataDir = await dirFromBytes(DIR);
    await withRawTables(dataDir, (t) => new MetaTable(t.meta, dataDir).put('format', { version: 2 }));
    const snapDir = join(dataDir, SNAPSHOT_DIR);
    // A snapshot in a layout this version cannot read, an older one beside it, and a transfer in progress.
    const newer = '0000000000000003-0000000000000009.snap';
    writeFileSync(join(snapDir, newer), Buffer.from('RKSNAP02 a layout of a later version'));
    writeFileSync(join(snapDir, '0000000000000001-0000000000000002.snap'), hex(DIR.snapshot.bytes));
    writeFileSync(join(snapDir, `${newer}.tmp`), Buffer.from('partial'));
    const before = readdirSync(snapDir).sort();
    await expect(RaftStorage.open({ dataDir })).rejects.toThrow(`raft storage in ${dataDir} has format version 2; this version reads only ${FORMAT_VERSION}`);
    expect(readdirSync(snapDir).sort()).toEqual(before);
    expect(readFileSync(join(snapDir, newer)).toString()).toBe('RKSNAP02 a layout of a later version');
  });
});
