/**
 * Key-value results as etcdctl prints them (a key line, then its value
 * line), and as JSON with text keys and values.
 */
import type { etcdserverpb, mvccpb } from '@raftkit/proto';
import { displayBytes, utf8 } from './bytes.js';

/** One key-value pair as JSON: text when it is UTF-8, else base64 under `keyBase64` / `valueBase64`. */
export function kvJson(kv: mvccpb.KeyValue) {
  const key = utf8(kv.key);
  const value = utf8(kv.value);
  return {
    ...(key === undefined ? { keyBase64: Buffer.from(kv.key).toString('base64') } : { key }),
    ...(value === undefined ? { valueBase64: Buffer.from(kv.value).toString('base64') } : { value }),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** The header fields scripts use. */
export function headerJson(h: etcdserverpb.ResponseHeader | undefined) {
  return { clusterId: h?.clusterId ?? 0, memberId: h?.memberId ?? 0, revision: h?.revision ?? 0, raftTerm: h?.raftTerm ?? 0 };
}

/** Key and value lines (keys only with `keysOnly`). */
export function kvLines(kvs: readonly mvccpb.KeyValue[], keysOnly = false): string[] {
  return kvs.flatMap((kv) => (keysOnly ? [displayBytes(kv.key)] : [displayBytes(kv.key), displayBytes(kv.value)]));
}

/** A Range response as JSON. */
export function rangeJson(r: etcdserverpb.RangeResponse) {
  return { header: headerJson(r.header), count: r.count, more: r.more, kvs: r.kvs.map(kvJson) };
}

/** The JSON form of one transaction request's result. */
export type ResponseOpJson =
  | { op: 'get'; count: number; more: boolean; kvs: ReturnType<typeof kvJson>[] }
  | { op: 'put'; prevKv?: ReturnType<typeof kvJson> }
  | { op: 'del'; deleted: number }
  | { op: 'txn'; succeeded: boolean; responses: ResponseOpJson[] }
  | { op: 'unknown' };

/** The result of one transaction request as JSON. */
export function responseOpJson(op: etcdserverpb.ResponseOp): ResponseOpJson {
  const r = op.response;
  switch (r?.$case) {
    case 'responseRange':
      return { op: 'get', count: r.value.count, more: r.value.more, kvs: r.value.kvs.map(kvJson) };
    case 'responsePut':
      return { op: 'put', ...(r.value.prevKv ? { prevKv: kvJson(r.value.prevKv) } : {}) };
    case 'responseDeleteRange':
      return { op: 'del', deleted: r.value.deleted };
    case 'responseTxn':
      return { op: 'txn', succeeded: r.value.succeeded, responses: r.value.responses.map(responseOpJson) };
    default:
      return { op: 'unknown' };
  }
}

/** The result of one transaction request as etcdctl prints it. */
export function responseOpLines(op: etcdserverpb.ResponseOp): string[] {
  const r = op.response;
  switch (r?.$case) {
    case 'responseRange':
      return kvLines(r.value.kvs);
    case 'responsePut':
      return ['OK'];
    case 'responseDeleteRange':
      return [String(r.value.deleted)];
    case 'responseTxn':
      return [r.value.succeeded ? 'SUCCESS' : 'FAILURE', ...r.value.responses.flatMap(responseOpLines)];
    default:
      return [];
  }
}
