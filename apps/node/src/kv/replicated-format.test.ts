import { etcdserverpb } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { CommandDecodeError, type KvCommand, decodeCommand, encodeCommand } from './commands.js';
import { KvError, MvccReader, MvccStore, emptyRange } from './mvcc.js';
import { AppliedSessions } from './sessions.js';
import { MemoryTable } from './table.js';

/*
 * Scenario 31, rolling upgrade (after hashicorp/raft-compat's RollingUpgrade
 * and openraft's t10_wire_compat_09): during a rolling upgrade members of two
 * versions apply the same log, and a member of one version restores the
 * snapshot of the other. Both must turn the same entries into the same bytes
 * of replicated state, or the members diverge silently (and `check` sees
 * different hashes). These tests pin the key-value commands as they sit in
 * log entries (a tag byte, then an etcd v3 protobuf request or JSON), and
 * the layout of the state table: MVCC records, revisions and applied-proposal
 * sessions.
 *
 * WHEN A TEST HERE FAILS: the replicated format changed, so a member of the
 * previous version would decode these entries or records differently. If the
 * change is deliberate, it needs a new command tag or record layout that
 * both versions handle, switched on only once every member runs the new
 * version (and existing state migrated through an applied entry, never by
 * each member on its own), plus an upgrade note; then update the fixture.
 * Otherwise revert the change.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const CHANGED = 'the replicated key-value format changed; see the comment at the top of replicated-format.test.ts (a deliberate change needs a versioned, gated upgrade path; otherwise revert)';

/** A table's records as [key, value] hex pairs, in key order. */
function dump(table: MemoryTable): Array<[string, string]> {
  return Array.from(table.range({}), (r) => [toHex(r.key), toHex(r.value)]);
}

function tableOf(records: Array<[string, string]>): MemoryTable {
  const table = new MemoryTable();
  for (const [k, v] of records) table.put(hex(k), hex(v));
  return table;
}

const putRequest = (key: string, value: string, extra: Partial<etcdserverpb.PutRequest> = {}): etcdserverpb.PutRequest => ({
  key: text(key),
  value: text(value),
  lease: 0,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
  ...extra,
});

describe('scenario 31 (rolling upgrade): the key-value commands in log entries are byte-for-byte stable', () => {
  const GOLDEN: Array<{ name: string; cmd: KvCommand; bytes: string }> = [
    { name: 'put', cmd: { type: 'put', request: putRequest('a', '1', { prevKv: true }) }, bytes: '01' + '0a0161' + '120131' + '2001' },
    { name: 'put (ignore value and lease)', cmd: { type: 'put', request: putRequest('a', '', { ignoreValue: true, ignoreLease: true }) }, bytes: '01' + '0a0161' + '2801' + '3001' },
    { name: 'delete-range', cmd: { type: 'delete-range', request: { key: text('a'), rangeEnd: text('b'), prevKv: true } }, bytes: '02' + '0a0161' + '120162' + '1801' },
    {
      name: 'txn',
      cmd: {
        type: 'txn',
        request: {
          compare: [
            {
              result: etcdserverpb.Compare_CompareResult.GREATER,
              target: etcdserverpb.Compare_CompareTarget.MOD,
              key: text('a'),
              targetUnion: { $case: 'modRevision', value: 5 },
              rangeEnd: new Uint8Array(0),
            },
            {
              result: etcdserverpb.Compare_CompareResult.NOT_EQUAL,
              target: etcdserverpb.Compare_CompareTarget.VALUE,
              key: text('b'),
              targetUnion: { $case: 'value', value: text('x') },
              rangeEnd: text('c'),
            },
          ],
          success: [
            { request: { $case: 'requestPut', value: putRequest('a', '2') } },
            { request: { $case: 'requestDeleteRange', value: { key: text('b'), rangeEnd: new Uint8Array(0), prevKv: false } } },
            { request: { $case: 'requestRange', value: { ...emptyRange(), key: text('c'), rangeEnd: Uint8Array.of(0), limit: 10, revision: 3 } } },
            { request: { $case: 'requestTxn', value: { compare: [], success: [{ request: { $case: 'requestPut', value: putRequest('d', '4') } }], failure: [] } } },
          ],
          failure: [{ request: { $case: 'requestRange', value: { ...emptyRange(), key: text('a'), countOnly: true } } }],
        },
      },
      bytes:
        '03' +
        '0a09080110021a01613005' + // compare: GREATER, MOD, "a", mod_revision 5
        '0a0e080310031a01623a0178820401' + '63' + // compare: NOT_EQUAL, VALUE, "b", value "x", range_end "c"
        '120812060a0161120132' + // success: put a=2
        '12051a030a0162' + // success: delete b
        '120c0a0a0a0163120100180a2003' + // success: range c.., limit 10, revision 3
        '120c220a120812060a0164120134' + // success: txn { success: put d=4 }
        '1a070a050a01614801', // failure: range a, count only
    },
    { name: 'compact', cmd: { type: 'compact', request: { revision: 2 ** 40 + 3, physical: true } }, bytes: '04' + '08838080808020' + '1001' },
    { name: 'member-attributes', cmd: { type: 'member-attributes', request: { id: 3, name: 'three', clientUrls: ['https://10.0.0.3:2379'] } },
      bytes: '05' + toHex(text('{"id":3,"name":"three","clientUrls":["https://10.0.0.3:2379"]}')),
     },
    { name: 'member-attributes (no name)', cmd: { type: 'member-attributes', request: { id: 4, clientUrls: ['10.0.0.4:2379'] } }, bytes: '05' + toHex(text('{"id":4,"clientUrls":["10.0.0.4:2379"]}')) },
  ];

  it.each(GOLDEN)('encodes $name as committed', ({ cmd, bytes }) => {
    expect(toHex(encodeCommand(cmd)), CHANGED).toBe(bytes);
  });

  it.each(GOLDEN)('decodes the committed $name', ({ cmd, bytes }) => {
    expect(decodeCommand(hex(bytes)), CHANGED).toEqual(cmd);
  });

  it('refuses a tag it does not know (a command of a newer version), saying so', () => {
    expect(() => decodeCommand(hex('060a0161'))).toThrow(CommandDecodeError);
    expect(() => decodeCommand(hex('060a0161'))).toThrow('unknown key-value command tag 6 in a log entry of 4 bytes (expected 1-5)');
  });
});

describe('scenario 31 (rolling upgrade): the applied-proposal sessions record is byte-for-byte stable', () => {
  // Key: 0x04 | member (f64) | epoch (u32). Value: max seq (u32) | window bits (u32 high, u32 low).
  const RECORDS: Array<[string, string]> = [
    ['04' + '4000000000000000' + '6553f100', '00000028' + '00000074' + '00000000'], // member 2: max 40, 1, 2, 3 and 5 below it
    ['04' + '401c000000000000' + 'ee6b2800', 'ffffffff' + '00000000' + '00000000'], // member 7: max 2^32 - 1
  ];

  it('writes the committed records', () => {
    const table = new MemoryTable();
    const sessions = new AppliedSessions(table);
    for (const seq of [1, 2, 5, 40, 3]) expect(sessions.firstTime({ member: 2, epoch: 1_700_000_000, seq })).toBe(true);
    expect(sessions.firstTime({ member: 7, epoch: 4_000_000_000, seq: 2 ** 32 - 1 })).toBe(true);
    sessions.flush();
    expect(dump(table), CHANGED).toEqual(RECORDS);
  });

  it('reads the committed records: what was applied is not applied again', () => {
    const sessions = new AppliedSessions(tableOf(RECORDS));
    const seen = (member: number, epoch: number, seq: number): boolean => !sessions.firstTime({ member, epoch, seq });
    expect([1, 2, 3, 5, 40].map((seq) => seen(2, 1_700_000_000, seq))).toEqual([true, true, true, true, true]);
    expect(seen(7, 4_000_000_000, 2 ** 32 - 1)).toBe(true);
    expect([4, 39, 41].map((seq) => seen(2, 1_700_000_000, seq))).toEqual([false, false, false]);
  });
});

describe('scenario 31 (rolling upgrade): the MVCC layout of the state table is byte-for-byte stable', () => {
  /*
   * 0x00 'r' → revision (u64); 0x00 'c' → compacted revision (u64);
   * 0x01 key → current record; 0x02 esc(key) 0x00 0x01 rev (u64) sub (u32) → change;
   * record: flags (1: put, 2: tombstone) | create (u64) | mod (u64) | version (u64) | value.
   */
  const RECORDS: Array<[string, string]> = [
    ['0063', '0000000000000003'],
    ['0072', '0000000000000006'],
    ['0161', '01' + '0000000000000002' + '0000000000000003' + '0000000000000002' + '32'],
    ['0162', '01' + '0000000000000005' + '0000000000000005' + '0000000000000001' + '42'],
    ['0163', '01' + '0000000000000005' + '0000000000000005' + '0000000000000001' + '43'],
    ['02' + '61' + '0001' + '0000000000000003' + '00000000', '01' + '0000000000000002' + '0000000000000003' + '0000000000000002' + '32'],
    ['02' + '62' + '0001' + '0000000000000005' + '00000000', '01' + '0000000000000005' + '0000000000000005' + '0000000000000001' + '42'],
    ['02' + '63' + '0001' + '0000000000000005' + '00000001', '01' + '0000000000000005' + '0000000000000005' + '0000000000000001' + '43'],
    ['02' + '7800ffff79' + '0001' + '0000000000000004' + '00000000', '01' + '0000000000000004' + '0000000000000004' + '0000000000000001' + '7a'],
    ['02' + '7800ffff79' + '0001' + '0000000000000006' + '00000000', '02' + '0000000000000000' + '0000000000000006' + '0000000000000000'],
  ];

  it('writes the committed records for puts, a transaction, a delete and a compaction', () => {
    const table = new MemoryTable();
    const store = new MvccStore(table);
    store.put(putRequest('a', '1')); // revision 2
    store.put(putRequest('a', '2')); // 3
    store.put({ ...putRequest('', 'z'), key: hex('7800ff79') }); // 4: a key with a zero byte (escaped in history keys)
    store.txn({
      compare: [],
      success: [
        { request: { $case: 'requestPut', value: putRequest('b', 'B') } },
        { request: { $case: 'requestPut', value: putRequest('c', 'C') } },
      ],
      failure: [],
    }); // 5, subs 0 and 1
    store.deleteRange({ key: hex('7800ff79'), rangeEnd: new Uint8Array(0), prevKv: false }); // 6: a tombstone
    store.compact(3); // drops a@2
    store.flush();
    expect(dump(table), CHANGED).toEqual(RECORDS);
  });

  it('reads the committed records as the same key-value history', () => {
    const reader = new MvccReader(tableOf(RECORDS));
    expect(reader.revision()).toBe(6);
    expect(reader.compactedRevision()).toBe(3);
    const kv = (key: Uint8Array, value: string, createRevision: number, modRevision: number, version: number) => ({
      key,
      value: text(value),
      createRevision,
      modRevision,
      version,
      lease: 0,
    });
    expect(reader.get(text('a'))).toEqual(kv(text('a'), '2', 2, 3, 2));
    expect(reader.get(hex('7800ff79'))).toBeUndefined();
    const all = { ...emptyRange(), key: Uint8Array.of(0), rangeEnd: Uint8Array.of(0) };
    expect(reader.range(all).kvs).toEqual([kv(text('a'), '2', 2, 3, 2), kv(text('b'), 'B', 5, 5, 1), kv(text('c'), 'C', 5, 5, 1)]);
    expect(reader.range({ ...all, revision: 4 }).kvs).toEqual([kv(text('a'), '2', 2, 3, 2), kv(hex('7800ff79'), 'z', 4, 4, 1)]);
    expect(() => reader.range({ ...all, revision: 2 })).toThrow(KvError);
  });
});
