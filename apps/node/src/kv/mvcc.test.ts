import { describe, expect, it } from 'vitest';
import type { etcdserverpb } from '@raftkit/proto';
import { KvError, MvccReader, MvccStore, emptyRange } from './mvcc.js';

type Compare = etcdserverpb.Compare;
type RequestOp = etcdserverpb.RequestOp;
import { MemoryTable } from './table.js';

const b = (s: string) => new TextEncoder().encode(s);
const s = (u: Uint8Array) => new TextDecoder().decode(u);
const put = (key: string, value: string, extra: Partial<Parameters<MvccStore['put']>[0]> = {}) => ({
  key: b(key),
  value: b(value),
  lease: 0,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
  ...extra,
});
const range = (key: string, rangeEnd = '', extra: Partial<ReturnType<typeof emptyRange>> = {}) => ({ ...emptyRange(), key: b(key), rangeEnd: b(rangeEnd), ...extra });

function store() {
  return new MvccStore(new MemoryTable());
}

describe('MvccStore', () => {
  it('tracks revisions, create/mod revisions and versions like etcd', () => {
    const kv = store();
    expect(kv.revision()).toBe(1);
    expect(kv.put(put('a', '1')).revision).toBe(2);
    expect(kv.put(put('a', '2')).revision).toBe(3);
    expect(kv.put(put('b', 'x')).revision).toBe(4);
    expect(kv.get(b('a'))).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(s(kv.get(b('a'))!.value)).toBe('2');
    const prev = kv.put(put('a', '3', { prevKv: true })).response.prevKv!;
    expect(s(prev.value)).toBe('2');
    expect(prev.modRevision).toBe(3);
  });

  it('ranges over single keys, ranges, prefixes and all keys, with limit, count and keys only', () => {
    const kv = store();
    for (const k of ['a', 'ab', 'abc', 'b', 'c']) kv.put(put(k, `v-${k}`));
    expect(kv.range(range('a')).kvs.map((x) => s(x.key))).toEqual(['a']);
    expect(kv.range(range('a', 'b')).kvs.map((x) => s(x.key))).toEqual(['a', 'ab', 'abc']);
    expect(kv.range(range('ab', 'ac')).kvs.map((x) => s(x.key))).toEqual(['ab', 'abc']);
    expect(kv.range({ ...range('b'), rangeEnd: Uint8Array.of(0) }).kvs.map((x) => s(x.key))).toEqual(['b', 'c']);
    expect(kv.range({ ...range('\0'), key: Uint8Array.of(0), rangeEnd: Uint8Array.of(0) }).count).toBe(5);
    const limited = kv.range(range('a', 'z', { limit: 2 }));
    expect(limited.kvs).toHaveLength(2);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(5);
    expect(kv.range(range('a', 'z', { countOnly: true }))).toEqual({ kvs: [], more: false, count: 5 });
    expect(kv.range(range('a', 'z', { keysOnly: true })).kvs.every((x) => x.value.length === 0)).toBe(true);
    const desc = kv.range(range('a', 'z', { sortOrder: 2, sortTarget: 0 }));
    expect(desc.kvs.map((x) => s(x.key))).toEqual(['c', 'b', 'abc', 'ab', 'a']);
    expect(() => kv.range(range(''))).toThrow('etcdserver: key is not provided');
  });

  it('deletes single keys and ranges, returning previous values', () => {
    const kv = store();
    for (const k of ['a', 'b', 'c']) kv.put(put(k, k));
    const r = kv.deleteRange({ key: b('a'), rangeEnd: b('c'), prevKv: true });
    expect(r.response.deleted).toBe(2);
    expect(r.response.prevKvs.map((x) => s(x.value))).toEqual(['a', 'b']);
    expect(r.revision).toBe(5);
    expect(kv.range(range('a', 'z')).kvs.map((x) => s(x.key))).toEqual(['c']);
    // Deleting nothing does not raise the revision.
    expect(kv.deleteRange({ key: b('zz'), rangeEnd: new Uint8Array(), prevKv: false }).revision).toBe(5);
    // A re-created key starts over at version 1.
    kv.put(put('a', 'again'));
    expect(kv.get(b('a'))).toMatchObject({ createRevision: 6, version: 1 });
  });

  it('reads at older revisions exactly, and refuses compacted and future ones', () => {
    const kv = store();
    kv.put(put('k', 'v1')); // rev 2
    kv.put(put('k', 'v2')); // rev 3
    kv.put(put('j', 'x')); // rev 4
    kv.deleteRange({ key: b('k'), rangeEnd: new Uint8Array(), prevKv: false }); // rev 5
    kv.put(put('k', 'v3')); // rev 6
    const at = (rev: number) => kv.range(range('j', 'l', { revision: rev })).kvs.map((x) => `${s(x.key)}=${s(x.value)}`);
    expect(at(2)).toEqual(['k=v1']);
    expect(at(3)).toEqual(['k=v2']);
    expect(at(4)).toEqual(['j=x', 'k=v2']);
    expect(at(5)).toEqual(['j=x']);
    expect(at(6)).toEqual(['j=x', 'k=v3']);
    expect(kv.range(range('k', '', { revision: 3 })).kvs[0]).toMatchObject({ modRevision: 3, version: 2, createRevision: 2 });
    expect(() => kv.range(range('k', '', { revision: 7 }))).toThrow('etcdserver: mvcc: required revision is a future revision');
    kv.compact(4);
    expect(at(4)).toEqual(['j=x', 'k=v2']);
    expect(at(5)).toEqual(['j=x']);
    const err = (() => {
      try {
        at(3);
      } catch (e) {
        return e as KvError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KvError);
    expect(err!.code).toBe('compacted');
    expect(err!.message).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(() => kv.compact(4)).toThrow(/compacted/);
    expect(() => kv.compact(99)).toThrow(/future revision/);
  });

  it('keeps the revision in memory through a batch and writes it once, in flush', () => {
    const table = new MemoryTable();
    const kv = new MvccStore(table);
    kv.put(put('a', '1'));
    kv.put(put('b', '2'));
    // Another view of the table (a reader after the transaction) sees the revision only once flushed.
    expect(new MvccStore(table).revision()).toBe(1);
    kv.flush();
    expect(new MvccStore(table).revision()).toBe(3);
    const next = new MvccStore(table);
    expect(next.put(put('a', '3')).revision).toBe(4);
    expect(next.get(b('a'))).toMatchObject({ createRevision: 2, modRevision: 4, version: 2 });
    next.flush();
    expect(new MvccStore(table).revision()).toBe(4);
  });

  it('answers reads with a revision the caller keeps in memory, without reading it', () => {
    const table = new MemoryTable();
    const kv = new MvccStore(table);
    kv.put(put('a', '1'));
    kv.flush();
    const reader = new MvccReader(table, 7);
    expect(reader.revision()).toBe(7);
    expect(new MvccReader(table).revision()).toBe(2);
  });

  it('drops history that compaction makes unreachable', () => {
    const table = new MemoryTable();
    const kv = new MvccStore(table);
    for (let i = 0; i < 10; i++) kv.put(put('k', `v${i}`));
    kv.put(put('gone', 'x'));
    kv.deleteRange({ key: b('gone'), rangeEnd: new Uint8Array(), prevKv: false });
    const before = table.size;
    kv.compact(kv.revision());
    // One history record for k survives (the newest), none for the deleted key.
    expect(table.size).toBe(before - 9 - 2 + 1); // plus the compacted-revision record
    expect(s(kv.get(b('k'))!.value)).toBe('v9');
  });

  it('runs transactions: compares on value, version, create and mod revision, then one branch at one revision', () => {
    const kv = store();
    kv.put(put('k', 'v1'));
    const cmp = (target: number, union: { $case: string; value: unknown }, result = 0): Compare =>
      ({ result, target, key: b('k'), rangeEnd: new Uint8Array(), targetUnion: union }) as unknown as Compare;
    const ok = kv.txn({
      compare: [cmp(3, { $case: 'value', value: b('v1') }), cmp(0, { $case: 'version', value: 1 }), cmp(2, { $case: 'modRevision', value: 2 })],
      success: [{ request: { $case: 'requestPut', value: put('k', 'v2') } }, { request: { $case: 'requestPut', value: put('other', 'o') } }, { request: { $case: 'requestRange', value: range('k') } }],
      failure: [],
    });
    expect(ok.response.succeeded).toBe(true);
    expect(ok.revision).toBe(3);
    // Both puts share revision 3; the read in the transaction sees the write before it.
    expect(kv.get(b('other'))!.modRevision).toBe(3);
    const read = ok.response.responses[2]!.response;
    expect(read?.$case === 'responseRange' && s(read.value.kvs[0]!.value)).toBe('v2');
    const failed = kv.txn({
      compare: [cmp(1, { $case: 'createRevision', value: 99 })],
      success: [],
      failure: [{ request: { $case: 'requestDeleteRange', value: { key: b('other'), rangeEnd: new Uint8Array(), prevKv: false } } }],
    });
    expect(failed.response.succeeded).toBe(false);
    expect(kv.get(b('other'))).toBeUndefined();
    // A compare on the value of a missing key is false; its version is 0.
    expect(kv.txn({ compare: [{ ...cmp(3, { $case: 'value', value: b('') }), key: b('missing') }], success: [], failure: [] }).response.succeeded).toBe(false);
    expect(kv.txn({ compare: [{ ...cmp(0, { $case: 'version', value: 0 }), key: b('missing') }], success: [], failure: [] }).response.succeeded).toBe(true);
    // A read-only transaction does not raise the revision.
    expect(kv.txn({ compare: [], success: [{ request: { $case: 'requestRange', value: range('k') } }], failure: [] }).revision).toBe(kv.revision());
  });

  it('reads a transaction\'s ranges at the revision they ask for, refusing future and compacted ones as etcd does', () => {
    const kv = store();
    kv.put(put('k', 'v1')); // rev 2
    kv.put(put('k', 'v2')); // rev 3
    const get = (revision: number): RequestOp => ({ request: { $case: 'requestRange', value: range('k', '', { revision }) } });
    const values = (r: ReturnType<MvccStore['txn']>) =>
      r.response.responses.map((op) => (op.response?.$case === 'responseRange' ? op.response.value.kvs.map((x) => s(x.value)).join() : op.response?.$case));
    // A read-only transaction reads history like a plain range.
    expect(values(kv.txn({ compare: [], success: [get(2), get(3), get(0)], failure: [] }))).toEqual(['v1', 'v2', 'v2']);
    // After a write in the transaction, revision 0 sees it; "current" (3) is
    // the revision before the transaction and reads as of it.
    const rw = kv.txn({ compare: [], success: [{ request: { $case: 'requestPut', value: put('k', 'v3') } }, get(0), get(3), get(2)], failure: [] });
    expect(rw.revision).toBe(4);
    expect(values(rw)).toEqual(['responsePut', 'v3', 'v2', 'v1']);
    // The transaction's own revision is a future one when it starts.
    const refused = (req: Parameters<MvccStore['txn']>[0]): KvError => {
      try {
        kv.txn(req);
      } catch (e) {
        return e as KvError;
      }
      throw new Error('the transaction was not refused');
    };
    const future = refused({ compare: [], success: [get(5)], failure: [] });
    expect(future).toMatchObject({ code: 'future-revision', message: 'etcdserver: mvcc: required revision is a future revision' });
    kv.compact(3);
    expect(values(kv.txn({ compare: [], success: [get(3)], failure: [] }))).toEqual(['v2']);
    const compacted = refused({ compare: [], success: [get(2)], failure: [] });
    expect(compacted).toMatchObject({ code: 'compacted', message: 'etcdserver: mvcc: required revision has been compacted' });
    // Checked before any write: a refused transaction changes nothing, nested ones included.
    const nested = refused({
      compare: [],
      success: [
        { request: { $case: 'requestPut', value: put('other', 'x') } },
        { request: { $case: 'requestTxn', value: { compare: [], success: [get(2)], failure: [] } } },
      ],
      failure: [],
    });
    expect(nested.code).toBe('compacted');
    expect(refused({ compare: [], success: [{ request: { $case: 'requestPut', value: put('other', 'x') } }, { request: { $case: 'requestPut', value: put('nope', '', { ignoreValue: true }) } }], failure: [] }).message).toBe(
      'etcdserver: key not found',
    );
    expect(kv.get(b('other'))).toBeUndefined();
    expect(kv.revision()).toBe(4);
    // Only the branch taken is checked.
    expect(kv.txn({ compare: [], success: [], failure: [get(2)] }).response.succeeded).toBe(true);
  });

  it('evaluates nested compares against the store before the transaction, as etcd does', () => {
    const kv = store();
    kv.put(put('k', 'old'));
    const isOld: Compare = { result: 0, target: 3, key: b('k'), rangeEnd: new Uint8Array(), targetUnion: { $case: 'value', value: b('old') } } as unknown as Compare;
    const r = kv.txn({
      compare: [],
      success: [
        { request: { $case: 'requestPut', value: put('k', 'new') } },
        { request: { $case: 'requestTxn', value: { compare: [isOld], success: [{ request: { $case: 'requestPut', value: put('seen', 'old') } }], failure: [] } } },
      ],
      failure: [],
    });
    const inner = r.response.responses[1]!.response;
    expect(inner?.$case === 'responseTxn' && inner.value.succeeded).toBe(true);
    expect(s(kv.get(b('seen'))!.value)).toBe('old');
  });

  it('counts the keys in the range before the create and mod revision filters, as etcd does', () => {
    const kv = store();
    for (const k of ['a', 'b', 'c', 'd']) kv.put(put(k, k)); // revs 2..5
    const r = kv.range(range('a', 'z', { minModRevision: 4 }));
    expect(r.kvs.map((x) => s(x.key))).toEqual(['c', 'd']);
    expect(r.count).toBe(4);
    expect(r.more).toBe(false);
    expect(kv.range(range('a', 'z', { maxCreateRevision: 3, countOnly: true }))).toEqual({ kvs: [], more: false, count: 4 });
    // `more` says whether the limit cut the filtered list short.
    const limited = kv.range(range('a', 'z', { minModRevision: 3, limit: 2 }));
    expect(limited.kvs.map((x) => s(x.key))).toEqual(['b', 'c']);
    expect(limited).toMatchObject({ more: true, count: 4 });
    expect(kv.range(range('a', 'z', { minModRevision: 4, limit: 2 })).more).toBe(false);
  });

  it('refuses what etcd refuses', () => {
    const kv = store();
    expect(() => kv.put(put('k', 'v', { lease: 5 }))).toThrow('etcdserver: requested lease not found');
    expect(() => kv.put(put('', 'v'))).toThrow('etcdserver: key is not provided');
    expect(() => kv.put(put('nope', '', { ignoreValue: true }))).toThrow('etcdserver: key not found');
    expect(() =>
      kv.txn({
        compare: [],
        success: [{ request: { $case: 'requestPut', value: put('k', '1') } }, { request: { $case: 'requestPut', value: put('k', '2') } }],
        failure: [],
      }),
    ).toThrow('etcdserver: duplicate key given in txn request');
    expect(() =>
      kv.txn({
        compare: [],
        success: [
          { request: { $case: 'requestPut', value: put('k', '1') } },
          { request: { $case: 'requestDeleteRange', value: { key: b('a'), rangeEnd: b('z'), prevKv: false } } },
        ],
        failure: [],
      }),
    ).toThrow(/duplicate key/);
    expect(kv.revision()).toBe(1);
  });

  it('refuses, as etcd does, a txn whose later put needs a key a nested txn deletes, and changes nothing', () => {
    const table = new MemoryTable();
    const kv = new MvccStore(table);
    kv.put(put('k', 'v1'));
    kv.put(put('other', 'o'));
    const before = { revision: kv.revision(), size: table.size };
    const del = (key: string, rangeEnd = ''): RequestOp => ({ request: { $case: 'requestDeleteRange', value: { key: b(key), rangeEnd: b(rangeEnd), prevKv: false } } });
    const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp => ({ request: { $case: 'requestTxn', value: { compare: [], success, failure } } });
    const write = (key: string, value: string, extra: Partial<ReturnType<typeof put>> = {}): RequestOp => ({ request: { $case: 'requestPut', value: put(key, value, extra) } });
    // etcd's checkIntervals: an outer put of a key that a nested txn deletes is a duplicate key
    // (checked before the key's existence, which etcd checks against the store before the txn).
    for (const extra of [{ ignoreValue: true }, { ignoreLease: true }]) {
      expect(() => kv.txn({ compare: [], success: [write('other', 'o2'), txn([del('k')]), write('k', '', extra)], failure: [] })).toThrow(
        'etcdserver: duplicate key given in txn request',
      );
    }
    // A nested put in a range that the outer txn deletes.
    expect(() => kv.txn({ compare: [], success: [del('a', 'z'), txn([write('k', 'v2')])], failure: [] })).toThrow(/duplicate key/);
    expect(() => kv.txn({ compare: [], success: [txn([write('k', 'v2')]), del('k')], failure: [] })).toThrow(/duplicate key/);
    // A nested put of a key that an earlier nested txn deletes, in either of its branches.
    expect(() => kv.txn({ compare: [], success: [txn([], [del('k')]), txn([write('k', 'v2')])], failure: [] })).toThrow(/duplicate key/);
    // A nested put of a key the outer txn also puts, or another nested one.
    expect(() => kv.txn({ compare: [], success: [write('k', 'v2'), txn([write('k', 'v3')])], failure: [] })).toThrow(/duplicate key/);
    expect(() => kv.txn({ compare: [], success: [txn([write('k', 'v2')]), txn([], [write('k', 'v3')])], failure: [] })).toThrow(/duplicate key/);
    // Deeper nesting counts too.
    expect(() => kv.txn({ compare: [], success: [del('k'), txn([txn([], [write('k', 'v2')])])], failure: [] })).toThrow(/duplicate key/);
    // Nothing of the refused txns was written.
    expect(kv.revision()).toBe(before.revision);
    expect(table.size).toBe(before.size);
    expect(s(kv.get(b('k'))!.value)).toBe('v1');
    expect(s(kv.get(b('other'))!.value)).toBe('o');
    // The two branches of one nested txn exclude each other: both may put a key.
    const ok = kv.txn({ compare: [], success: [txn([write('k', 'v2')], [write('k', 'v3')]), del('a', 'b')], failure: [] });
    expect(ok.revision).toBe(before.revision + 1);
    expect(s(kv.get(b('k'))!.value)).toBe('v2');
    // A later nested txn's delete of a key an earlier one puts is allowed, as in etcd (the put comes first).
    kv.txn({ compare: [], success: [txn([write('k', 'v4')]), txn([del('k')])], failure: [] });
    expect(kv.get(b('k'))).toBeUndefined();
  });

  it('undoes every write of a txn that fails part way, so an applied entry is all or nothing', () => {
    class FailingTable extends MemoryTable {
      failOn: Uint8Array | undefined;
      override put(key: Uint8Array, value: Uint8Array): void {
        if (this.failOn && key.length === this.failOn.length && key.every((x, i) => x === this.failOn![i])) {
          this.failOn = undefined;
          throw new Error('write failed');
        }
        super.put(key, value);
      }
    }
    const table = new FailingTable();
    const kv = new MvccStore(table);
    kv.put(put('a', '1'));
    kv.put(put('c', '3'));
    const snapshot = () => [...table.range({})].map((r) => [[...r.key].join(','), [...r.value].join(',')]);
    const before = snapshot();
    // The third write of the txn (the live record of "d") fails, after a put and a delete.
    table.failOn = Uint8Array.of(0x01, ...b('d'));
    expect(() =>
      kv.txn({
        compare: [],
        success: [
          { request: { $case: 'requestPut', value: put('a', '2') } },
          { request: { $case: 'requestDeleteRange', value: { key: b('c'), rangeEnd: new Uint8Array(), prevKv: false } } },
          { request: { $case: 'requestPut', value: put('d', '4') } },
        ],
        failure: [],
      }),
    ).toThrow('write failed');
    expect(snapshot()).toEqual(before);
    expect(kv.revision()).toBe(3);
    // The store goes on from where it was.
    expect(kv.put(put('a', '5')).revision).toBe(4);
    expect(kv.get(b('a'))).toMatchObject({ version: 2, modRevision: 4 });
  });

  it('handles keys with zero bytes in history reads', () => {
    const kv = store();
    const k1 = Uint8Array.of(1, 0, 2);
    const k2 = Uint8Array.of(1, 0);
    kv.put({ ...put('', 'a'), key: k1 });
    kv.put({ ...put('', 'b'), key: k2 });
    kv.put({ ...put('', 'c'), key: k1 });
    const at3 = kv.range({ ...emptyRange(), key: Uint8Array.of(1), rangeEnd: Uint8Array.of(2), revision: 3 });
    expect(at3.kvs.map((x) => [...x.key])).toEqual([[1, 0], [1, 0, 2]]);
    expect(at3.kvs.map((x) => s(x.value))).toEqual(['b', 'a']);
    expect(s(kv.range({ ...emptyRange(), key: k1, revision: 2 }).kvs[0]!.value)).toBe('a');
  });
});
