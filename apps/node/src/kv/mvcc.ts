/**
 * The key-value store with etcd v3 semantics: a global revision that every
 * write transaction raises by one; per key its create revision, mod revision
 * and version; a history of every change until it is compacted, so reads at
 * an older revision are answered exactly or refused with etcd's compacted
 * error, never approximated.
 *
 * Layout in the table (keys compare bytewise):
 *   0x00 'r'                       → current revision (u64)
 *   0x00 'c'                       → compacted revision (u64)
 *   0x01 key                       → current record of a live key
 *   0x02 esc(key) 0x00 0x01 rev sub → one change of a key (put or tombstone)
 * `esc` doubles 0x00 bytes (0x00 → 0x00 0xff) so that the escaped keys sort
 * like the keys themselves and no key's changes interleave with another's.
 */
import type { etcdserverpb, mvccpb } from '@raftkit/proto';
import { type KvTable, type KvTableReader, compareBytes } from './table.js';

type KeyValue = mvccpb.KeyValue;
type RangeRequest = etcdserverpb.RangeRequest;
type PutRequest = etcdserverpb.PutRequest;
type DeleteRangeRequest = etcdserverpb.DeleteRangeRequest;
type TxnRequest = etcdserverpb.TxnRequest;
type Compare = etcdserverpb.Compare;
type RequestOp = etcdserverpb.RequestOp;
type ResponseOp = etcdserverpb.ResponseOp;

/** An error with etcd's meaning; the server maps `code` to the gRPC status etcd clients expect. */
export class KvError extends Error {
  constructor(
    readonly code: 'compacted' | 'future-revision' | 'duplicate-key' | 'empty-key' | 'lease-not-found' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'KvError';
  }
}

const META_REVISION = Uint8Array.of(0x00, 0x72);
const META_COMPACTED = Uint8Array.of(0x00, 0x63);
const CURRENT = 0x01;
const HISTORY = 0x02;
const EMPTY = new Uint8Array(0);
const ALL_KEYS = Uint8Array.of(0);

// Change record flags.
const PUT = 1;
const TOMBSTONE = 2;

/** Result of a range read. */
export interface RangeResult {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  writeU64(b, 0, n);
  return b;
}

// Big-endian u64 by hand: a DataView per call showed up in apply profiles.
function writeU64(b: Uint8Array, at: number, n: number): void {
  writeU32(b, at, Math.floor(n / 0x100000000));
  writeU32(b, at + 4, n >>> 0);
}

function writeU32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function readU64(b: Uint8Array, at: number): number {
  return readU32(b, at) * 0x100000000 + readU32(b, at + 4);
}

function escape(key: Uint8Array): Uint8Array {
  let zeros = 0;
  for (const b of key) if (b === 0) zeros++;
  if (zeros === 0) return key;
  const out = new Uint8Array(key.length + zeros);
  let j = 0;
  for (const b of key) {
    out[j++] = b;
    if (b === 0) out[j++] = 0xff;
  }
  return out;
}

function unescape(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i]!);
    if (bytes[i] === 0) i++;
  }
  return Uint8Array.from(out);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function currentKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = CURRENT;
  out.set(key, 1);
  return out;
}

function historyPrefix(key: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(HISTORY), escape(key), Uint8Array.of(0x00, 0x01));
}

function historyKey(key: Uint8Array, rev: number, sub: number): Uint8Array {
  const prefix = historyPrefix(key);
  const out = new Uint8Array(prefix.length + 12);
  out.set(prefix, 0);
  writeU64(out, prefix.length, rev);
  writeU32(out, prefix.length + 8, sub);
  return out;
}

/** Splits a history key into the user key and the revision. */
function parseHistoryKey(k: Uint8Array): { key: Uint8Array; rev: number } {
  const body = k.subarray(1, k.length - 12);
  // body = esc(key) 0x00 0x01
  return { key: unescape(body.subarray(0, body.length - 2)), rev: readU64(k, k.length - 12) };
}

// Record: flags u8 | create u64 | mod u64 | version u64 | value
function encodeRecord(flags: number, create: number, mod: number, version: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(25 + value.length);
  out[0] = flags;
  writeU64(out, 1, create);
  writeU64(out, 9, mod);
  writeU64(out, 17, version);
  out.set(value, 25);
  return out;
}

function decodeRecord(key: Uint8Array, rec: Uint8Array): { flags: number; kv: KeyValue } {
  return {
    flags: rec[0]!,
    kv: { key, createRevision: readU64(rec, 1), modRevision: readU64(rec, 9), version: readU64(rec, 17), value: rec.subarray(25), lease: 0 },
  };
}

/** The end of a range: `rangeEnd` empty means the single `key`; `\0` means every key from `key` on. */
function rangeBounds(key: Uint8Array, rangeEnd: Uint8Array): { start: Uint8Array; end: Uint8Array | undefined; single: boolean } {
  if (rangeEnd.length === 0) return { start: key, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: undefined, single: false };
  return { start: key, end: rangeEnd, single: false };
}

/** Reads of the store that need no write transaction (serializable reads, the hash for `check`). */
export class MvccReader {
  /**
   * @param current the table's current revision when the caller keeps it in
   *   memory (the state machine does, for reads); otherwise it is read from
   *   the table once, on first use
   */
  constructor(
    protected readonly table: KvTableReader,
    protected current?: number,
  ) {}

  /** The current revision: 1 for an empty store, raised by every write transaction. */
  revision(): number {
    if (this.current === undefined) {
      const b = this.table.get(META_REVISION);
      this.current = b ? readU64(b, 0) : 1;
    }
    return this.current;
  }

  /** The revision if it was given or already read, without reading the table (which may be closed by now). */
  knownRevision(): number | undefined {
    return this.current;
  }

  /** The compacted revision: reads below it are refused. */
  compactedRevision(): number {
    const b = this.table.get(META_COMPACTED);
    return b ? readU64(b, 0) : 0;
  }

  /** The current value of one key. */
  get(key: Uint8Array): KeyValue | undefined {
    const rec = this.table.get(currentKey(key));
    return rec ? decodeRecord(key, rec).kv : undefined;
  }

  /** etcd's Range: current or historical, with limit, count, keys only, sort and revision filters. */
  range(req: RangeRequest): RangeResult {
    return this.rangeAt(req, this.revision());
  }

  /**
   * A range read of a view whose current revision is `current` (a
   * transaction's writes are at a revision the store has not raised to yet).
   */
  protected rangeAt(req: RangeRequest, current: number): RangeResult {
    if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
    const at = req.revision > 0 ? req.revision : current;
    if (at > current) throw futureRevisionError();
    if (at < current && at < this.compactedRevision()) throw compactedError();
    const matches = at === current ? this.scanCurrent(req) : this.scanHistory(req, at);
    // etcd counts the keys in the range at the revision, before the
    // create/mod revision filters prune the pairs it returns (txn.Range:
    // resp.Count is the store's total, pruneKVs only shortens the list).
    const count = matches.length;
    if (req.countOnly) return { kvs: [], more: false, count };
    const filtered = hasRevisionFilters(req)
      ? matches.filter(
          (kv) =>
            (req.minModRevision === 0 || kv.modRevision >= req.minModRevision) &&
            (req.maxModRevision === 0 || kv.modRevision <= req.maxModRevision) &&
            (req.minCreateRevision === 0 || kv.createRevision >= req.minCreateRevision) &&
            (req.maxCreateRevision === 0 || kv.createRevision <= req.maxCreateRevision),
        )
      : matches;
    sortKvs(filtered, req.sortOrder, req.sortTarget);
    const more = req.limit > 0 && filtered.length > req.limit;
    const limited = more ? filtered.slice(0, req.limit) : filtered;
    const kvs = req.keysOnly ? limited.map((kv) => ({ ...kv, value: EMPTY })) : limited;
    return { kvs, more, count };
  }

  private scanCurrent(req: RangeRequest): KeyValue[] {
    const { start, end, single } = rangeBounds(req.key, req.rangeEnd);
    if (single) {
      const kv = this.get(start);
      return kv ? [kv] : [];
    }
    const out: KeyValue[] = [];
    const scanEnd = end ? currentKey(end) : Uint8Array.of(CURRENT + 1);
    for (const r of this.table.range({ start: currentKey(start), end: scanEnd })) out.push(decodeRecord(r.key.subarray(1), r.value).kv);
    return out;
  }

  private scanHistory(req: RangeRequest, at: number): KeyValue[] {
    const { start, end, single } = rangeBounds(req.key, req.rangeEnd);
    const scanStart = single ? historyPrefix(start) : concat(Uint8Array.of(HISTORY), escape(start));
    const scanEnd = single ? concat(historyPrefix(start), Uint8Array.of(0xff)) : end ? concat(Uint8Array.of(HISTORY), escape(end)) : Uint8Array.of(HISTORY + 1);
    const out: KeyValue[] = [];
    let pendingKey: Uint8Array | undefined;
    let pending: { flags: number; kv: KeyValue } | undefined;
    const flush = (): void => {
      if (pending && pending.flags === PUT) out.push(pending.kv);
      pending = undefined;
    };
    for (const r of this.table.range({ start: scanStart, end: scanEnd })) {
      const { key, rev } = parseHistoryKey(r.key);
      if (!pendingKey || compareBytes(pendingKey, key) !== 0) {
        flush();
        pendingKey = key;
      }
      if (rev <= at) pending = decodeRecord(key, r.value);
    }
    flush();
    return out;
  }

  /** Every live key-value pair in key order (for hashing and snapshots of the state). */
  *entries(): Iterable<KeyValue> {
    for (const r of this.table.range({ start: Uint8Array.of(CURRENT), end: Uint8Array.of(CURRENT + 1) })) {
      yield decodeRecord(r.key.subarray(1), r.value).kv;
    }
  }
}

function hasRevisionFilters(req: RangeRequest): boolean {
  return req.minModRevision !== 0 || req.maxModRevision !== 0 || req.minCreateRevision !== 0 || req.maxCreateRevision !== 0;
}

function futureRevisionError(): KvError {
  return new KvError('future-revision', 'etcdserver: mvcc: required revision is a future revision');
}

function compactedError(): KvError {
  return new KvError('compacted', 'etcdserver: mvcc: required revision has been compacted');
}

function sortKvs(kvs: KeyValue[], order: number, target: number): void {
  // etcd: NONE with target KEY keeps key order; any other target defaults to ascending.
  if (order === 0 && target === 0) return;
  const dir = order === 2 ? -1 : 1;
  const value = (kv: KeyValue): number | Uint8Array => {
    switch (target) {
      case 1:
        return kv.version;
      case 2:
        return kv.createRevision;
      case 3:
        return kv.modRevision;
      case 4:
        return kv.value;
      default:
        return kv.key;
    }
  };
  kvs.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'number' ? x - (y as number) : compareBytes(x, y as Uint8Array);
    return dir * (c !== 0 ? c : compareBytes(a.key, b.key));
  });
}

/** The branch a transaction takes, and those of the nested transactions in it, in order. */
interface TxnPath {
  succeeded: boolean;
  nested: TxnPath[];
}

/** Outcome of a write, with the revision it produced (the current one if it changed nothing). */
export interface WriteResult<T> {
  response: T;
  revision: number;
}

/**
 * The store, writable: every method runs inside the caller's write
 * transaction. One store serves a whole batch of Raft entries (one call per
 * entry); it keeps the revision in memory and writes it once, in
 * {@link flush}, which the caller runs before the transaction commits.
 */
export class MvccStore extends MvccReader {
  private sub = 0;
  private txnRev = 0;
  private revisionChanged = false;
  /**
   * While a transaction's operations run: what each record it writes held
   * before (undefined: absent), oldest first, so that a failure part way
   * through leaves the table as it was.
   */
  private undo: Array<{ key: Uint8Array; value: Uint8Array | undefined }> | undefined;

  constructor(protected override readonly table: KvTable) {
    super(table);
  }

  /** Writes what the batch changed and is kept in memory (the revision); call once, last, inside the transaction. */
  flush(): void {
    if (!this.revisionChanged) return;
    this.table.put(META_REVISION, u64(this.current!));
    this.revisionChanged = false;
  }

  /** etcd's Put. */
  put(req: PutRequest): WriteResult<{ prevKv: KeyValue | undefined }> {
    return this.writeTxn(() => this.putInTxn(req));
  }

  /** etcd's DeleteRange. */
  deleteRange(req: DeleteRangeRequest): WriteResult<{ deleted: number; prevKvs: KeyValue[] }> {
    return this.writeTxn(() => this.deleteInTxn(req));
  }

  /**
   * etcd's Txn: compares, then the success or failure operations, at one
   * revision. As in etcd, every compare (of nested transactions too) is
   * evaluated against the store as it was before the transaction, and the
   * chosen operations are checked before any of them runs, so a refused
   * transaction changes nothing. Should an operation fail all the same (a
   * failed write), the ones before it are undone before the error is thrown:
   * a transaction is applied whole or not at all.
   */
  txn(req: TxnRequest): WriteResult<{ succeeded: boolean; responses: ResponseOp[] }> {
    checkIntervals(req.success);
    checkIntervals(req.failure);
    const path = this.compareToPath(req);
    this.checkPath(req, path, this.revision(), this.compactedRevision());
    this.undo = [];
    try {
      return this.writeTxn(() => this.executeTxn(req, path));
    } catch (e) {
      this.rollBack();
      throw e;
    } finally {
      this.undo = undefined;
    }
  }

  /** Puts back, newest first, what the running transaction's writes replaced. */
  private rollBack(): void {
    const undo = this.undo!;
    for (let i = undo.length - 1; i >= 0; i--) {
      const { key, value } = undo[i]!;
      if (value === undefined) this.table.remove(key);
      else this.table.put(key, value);
    }
  }

  /** etcd's Compact: drops history before `revision`. */
  compact(revision: number): WriteResult<Record<string, never>> {
    const current = this.revision();
    if (revision > current) throw futureRevisionError();
    if (revision <= this.compactedRevision()) throw compactedError();
    let groupKey: Uint8Array | undefined;
    let group: Array<{ k: Uint8Array; rev: number; flags: number }> = [];
    const doomed: Uint8Array[] = [];
    const settle = (): void => {
      // Keep the newest change at or below `revision` if it is a put (reads at
      // `revision` need it); drop every older one, and a tombstone as well.
      const below = group.filter((g) => g.rev <= revision);
      const keep = below.at(-1);
      for (const g of below) if (g !== keep || g.flags === TOMBSTONE) doomed.push(g.k);
      group = [];
    };
    for (const r of this.table.range({ start: Uint8Array.of(HISTORY), end: Uint8Array.of(HISTORY + 1) })) {
      const { key, rev } = parseHistoryKey(r.key);
      if (!groupKey || compareBytes(groupKey, key) !== 0) {
        settle();
        groupKey = key;
      }
      group.push({ k: r.key.slice(), rev, flags: r.value[0]! });
    }
    settle();
    for (const k of doomed) this.table.remove(k);
    this.table.put(META_COMPACTED, u64(revision));
    return { response: {}, revision: current };
  }

  private writeTxn<T>(body: () => T): WriteResult<T> {
    const before = this.revision();
    this.txnRev = before + 1;
    this.sub = 0;
    const response = body();
    // A transaction that changed nothing does not raise the revision.
    if (this.sub > 0) {
      this.current = this.txnRev;
      this.revisionChanged = true;
      return { response, revision: this.txnRev };
    }
    return { response, revision: before };
  }

  private putInTxn(req: PutRequest): { prevKv: KeyValue | undefined } {
    if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
    if (req.lease !== 0) throw new KvError('lease-not-found', 'etcdserver: requested lease not found');
    const live = currentKey(req.key);
    const prevRecord = this.table.get(live);
    const prev = prevRecord ? decodeRecord(req.key, prevRecord).kv : undefined;
    if ((req.ignoreValue || req.ignoreLease) && !prev) throw new KvError('invalid', 'etcdserver: key not found');
    const value = req.ignoreValue ? prev!.value : req.value;
    const rev = this.txnRev;
    const create = prev ? prev.createRevision : rev;
    const version = prev ? prev.version + 1 : 1;
    // The same bytes serve both records (LMDB copies what it stores).
    const record = encodeRecord(PUT, create, rev, version, value);
    const change = historyKey(req.key, rev, this.sub++);
    // (A table's get returns bytes of its own: LMDB copies them, the memory table replaces rather than changes a record.)
    this.undo?.push({ key: live, value: prevRecord }, { key: change, value: undefined });
    this.table.put(live, record);
    this.table.put(change, record);
    return { prevKv: req.prevKv && prev ? copyKv(prev) : undefined };
  }

  private deleteInTxn(req: DeleteRangeRequest): { deleted: number; prevKvs: KeyValue[] } {
    if (req.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
    const victims = this.range({ ...emptyRange(), key: req.key, rangeEnd: req.rangeEnd }).kvs;
    const rev = this.txnRev;
    for (const kv of victims) {
      const live = currentKey(kv.key);
      const change = historyKey(kv.key, rev, this.sub++);
      // A live record is the encoding of the pair it decodes to.
      this.undo?.push({ key: live, value: encodeRecord(PUT, kv.createRevision, kv.modRevision, kv.version, kv.value) }, { key: change, value: undefined });
      this.table.remove(live);
      this.table.put(change, encodeRecord(TOMBSTONE, 0, rev, 0, EMPTY));
    }
    return { deleted: victims.length, prevKvs: req.prevKv ? victims.map(copyKv) : [] };
  }

  /** Which branch the transaction and each nested one takes, decided before anything is written (etcd's compareToPath). */
  private compareToPath(req: TxnRequest): TxnPath {
    const succeeded = req.compare.every((c) => this.compare(c));
    const nested: TxnPath[] = [];
    for (const op of succeeded ? req.success : req.failure) if (op.request?.$case === 'requestTxn') nested.push(this.compareToPath(op.request.value));
    return { succeeded, nested };
  }

  /**
   * etcd's checkTxn: refuses, before the first write, what would fail half
   * way through — a read at a future or compacted revision ("current" is
   * the revision before the transaction), a put that needs a key that is
   * not there before the transaction, an empty key. (Writes of one key twice
   * are refused before, by {@link checkIntervals}, nested ones included; so
   * no operation can find its key changed by an earlier one.)
   */
  private checkPath(req: TxnRequest, path: TxnPath, current: number, compacted: number): void {
    let nested = 0;
    for (const op of path.succeeded ? req.success : req.failure) {
      const r = op.request;
      switch (r?.$case) {
        case 'requestRange':
          if (r.value.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
          if (r.value.revision > current) throw futureRevisionError();
          if (r.value.revision > 0 && r.value.revision < compacted) throw compactedError();
          break;
        case 'requestPut':
          if (r.value.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
          if (r.value.lease !== 0) throw new KvError('lease-not-found', 'etcdserver: requested lease not found');
          if ((r.value.ignoreValue || r.value.ignoreLease) && !this.get(r.value.key)) throw new KvError('invalid', 'etcdserver: key not found');
          break;
        case 'requestDeleteRange':
          if (r.value.key.length === 0) throw new KvError('empty-key', 'etcdserver: key is not provided');
          break;
        case 'requestTxn':
          this.checkPath(r.value, path.nested[nested++]!, current, compacted);
          break;
        default:
          throw new KvError('invalid', 'etcdserver: empty request operation in txn');
      }
    }
  }

  private executeTxn(req: TxnRequest, path: TxnPath): { succeeded: boolean; responses: ResponseOp[] } {
    let nested = 0;
    const responses = (path.succeeded ? req.success : req.failure).map((op) => this.op(op, () => path.nested[nested++]!));
    return { succeeded: path.succeeded, responses };
  }

  private op(op: RequestOp, nestedPath: () => TxnPath): ResponseOp {
    const r = op.request;
    switch (r?.$case) {
      case 'requestRange': {
        // Reads inside a transaction see its earlier writes (etcd reads a
        // write transaction at its own revision once it has changed
        // something); a read at a given revision sees the store as of it.
        const before = this.txnRev - 1;
        const res = this.rangeAt(r.value, this.sub > 0 ? this.txnRev : before);
        return { response: { $case: 'responseRange', value: { header: undefined, ...res } } };
      }
      case 'requestPut':
        return { response: { $case: 'responsePut', value: { header: undefined, ...this.putInTxn(r.value) } } };
      case 'requestDeleteRange':
        return { response: { $case: 'responseDeleteRange', value: { header: undefined, ...this.deleteInTxn(r.value) } } };
      case 'requestTxn':
        return { response: { $case: 'responseTxn', value: { header: undefined, ...this.executeTxn(r.value, nestedPath()) } } };
      default:
        throw new KvError('invalid', 'etcdserver: empty request operation in txn');
    }
  }

  /** etcd's compare semantics: a missing key has version, create and mod revision 0, and no value. */
  private compare(c: Compare): boolean {
    const kvs = c.rangeEnd.length > 0 ? this.range({ ...emptyRange(), key: c.key, rangeEnd: c.rangeEnd }).kvs : [this.get(c.key)].filter((x) => x !== undefined);
    if (kvs.length === 0) {
      if (c.target === 3) return false;
      return compareOne(c, undefined);
    }
    return kvs.every((kv) => compareOne(c, kv));
  }
}

function compareOne(c: Compare, kv: KeyValue | undefined): boolean {
  let d: number;
  const u = c.targetUnion;
  switch (c.target) {
    case 0:
      d = (kv?.version ?? 0) - (u?.$case === 'version' ? u.value : 0);
      break;
    case 1:
      d = (kv?.createRevision ?? 0) - (u?.$case === 'createRevision' ? u.value : 0);
      break;
    case 2:
      d = (kv?.modRevision ?? 0) - (u?.$case === 'modRevision' ? u.value : 0);
      break;
    case 3:
      d = compareBytes(kv?.value ?? EMPTY, u?.$case === 'value' ? u.value : EMPTY);
      break;
    case 4:
      d = 0 - (u?.$case === 'lease' ? u.value : 0);
      break;
    default:
      throw new KvError('invalid', `etcdserver: unknown compare target ${c.target}`);
  }
  switch (c.result) {
    case 0:
      return d === 0;
    case 1:
      return d > 0;
    case 2:
      return d < 0;
    case 3:
      return d !== 0;
    default:
      throw new KvError('invalid', `etcdserver: unknown compare result ${c.result}`);
  }
}

/** The keys a list of operations puts and the ranges it deletes, those of nested transactions included. */
interface WriteSet {
  puts: Map<string, Uint8Array>;
  deletes: DeleteSet;
}

/** Deleted keys (single ones by their bytes as a string), and deleted ranges (`end` undefined: to the last key). */
interface DeleteSet {
  keys: Set<string>;
  ranges: Array<{ start: Uint8Array; end: Uint8Array | undefined }>;
}

/** A key's bytes as a string, one character per byte, for sets and maps. */
function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function deletes(set: DeleteSet, key: Uint8Array): boolean {
  if (set.keys.has(keyString(key))) return true;
  return set.ranges.some((r) => compareBytes(key, r.start) >= 0 && (r.end === undefined || compareBytes(key, r.end) < 0));
}

function duplicateKey(): KvError {
  return new KvError('duplicate-key', 'etcdserver: duplicate key given in txn request');
}

/**
 * etcd's checkIntervals (v3rpc, for each branch of a Txn): one list of
 * operations, nested transactions included, must not put a key twice nor
 * put a key that it deletes — whatever the order, and whichever branch a
 * nested transaction takes; only the two branches of one nested transaction
 * may put the same key, since just one of them runs. Deletes of a nested
 * transaction count against the puts of the nested transactions after it
 * and against its parent's own puts; the parent's deletes count against
 * every put below it. A delete whose range end is `\0` covers every key
 * from its start on.
 */
function checkIntervals(ops: RequestOp[]): WriteSet {
  const dels: DeleteSet = { keys: new Set(), ranges: [] };
  for (const op of ops) {
    const r = op.request;
    if (r?.$case !== 'requestDeleteRange') continue;
    const { key, rangeEnd } = r.value;
    if (rangeEnd.length === 0) dels.keys.add(keyString(key));
    else dels.ranges.push({ start: key, end: isAllKeys(rangeEnd) ? undefined : rangeEnd });
  }
  const puts = new Map<string, Uint8Array>();
  for (const op of ops) {
    const r = op.request;
    if (r?.$case !== 'requestTxn') continue;
    const then = checkIntervals(r.value.success);
    const otherwise = checkIntervals(r.value.failure);
    for (const [k, key] of then.puts) {
      if (puts.has(k) || deletes(dels, key)) throw duplicateKey();
      puts.set(k, key);
    }
    for (const [k, key] of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deletes(dels, key)) throw duplicateKey();
      puts.set(k, key);
    }
    for (const d of [then.deletes, otherwise.deletes]) {
      for (const k of d.keys) dels.keys.add(k);
      dels.ranges.push(...d.ranges);
    }
  }
  for (const op of ops) {
    const r = op.request;
    if (r?.$case !== 'requestPut') continue;
    const k = keyString(r.value.key);
    if (puts.has(k) || deletes(dels, r.value.key)) throw duplicateKey();
    puts.set(k, r.value.key);
  }
  return { puts, deletes: dels };
}

function isAllKeys(end: Uint8Array): boolean {
  return end.length === 1 && end[0] === 0;
}

function copyKv(kv: KeyValue): KeyValue {
  return { ...kv, key: kv.key.slice(), value: kv.value.slice() };
}

/** A RangeRequest with every field at its default. */
export function emptyRange(): RangeRequest {
  return {
    key: EMPTY,
    rangeEnd: EMPTY,
    limit: 0,
    revision: 0,
    sortOrder: 0,
    sortTarget: 0,
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
  };
}

export { ALL_KEYS };
