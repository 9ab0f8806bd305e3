/** `raftctl kv get | put | del | txn`: the etcd v3 key-value API. */
import type { Command } from 'commander';
import { etcdserverpb } from '@raftkit/proto';
import { usageError } from '../cli/errors.js';
import { withExamples } from '../cli/help.js';
import { intIn } from '../cli/numbers.js';
import { printJson, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { readStdin, stdinPiped } from '../cli/stdin.js';
import { firstAnswer } from '../grpc/failover.js';
import { FROM_KEY, bytes, prefixEnd } from '../kv/bytes.js';
import { headerJson, kvJson, kvLines, rangeJson, responseOpJson, responseOpLines } from '../kv/render.js';
import { type TxnSpec, parseTxnScript, txnFromFlags } from '../kv/txn-syntax.js';

interface RangeFlags {
  prefix?: boolean;
  fromKey?: boolean;
}

/** The [key, rangeEnd) a command names with KEY [RANGE_END] and --prefix / --from-key. */
export function rangeOf(key: string, end: string | undefined, o: RangeFlags): { key: Uint8Array; rangeEnd: Uint8Array } {
  if (key === '') throw usageError('the key is empty', 'Give a non-empty key.');
  const k = bytes(key);
  const chosen = [end !== undefined, o.prefix === true, o.fromKey === true].filter(Boolean).length;
  if (chosen > 1) throw usageError('give only one of RANGE_END, --prefix and --from-key');
  if (o.prefix) return { key: k, rangeEnd: prefixEnd(k) };
  if (o.fromKey) return { key: k, rangeEnd: FROM_KEY };
  return { key: k, rangeEnd: end !== undefined ? bytes(end) : new Uint8Array() };
}

interface GetFlags extends RangeFlags {
  limit: number;
  rev: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  serializable?: boolean;
}

async function get(s: Session, key: string, end: string | undefined, o: GetFlags): Promise<void> {
  const req = etcdserverpb.RangeRequest.fromPartial({
    ...rangeOf(key, end, o),
    limit: o.limit,
    revision: o.rev,
    keysOnly: o.keysOnly === true,
    countOnly: o.countOnly === true,
    serializable: o.serializable === true,
  });
  const { value } = await firstAnswer(s.globals.endpoints, (e) => s.conns.kv<etcdserverpb.RangeResponse>(e, (c, md, op, cb) => c.range(req, md, op, cb)), true);
  if (s.globals.json) printJson(rangeJson(value));
  else if (o.countOnly) printText(String(value.count));
  else if (value.kvs.length > 0) printText(kvLines(value.kvs, o.keysOnly === true).join('\n'));
}

async function put(s: Session, key: string, valueArg: string | undefined, o: { prevKv?: boolean }): Promise<void> {
  if (key === '') throw usageError('the key is empty', 'Give a non-empty key.');
  let value: Uint8Array;
  if (valueArg !== undefined) value = bytes(valueArg);
  else if (stdinPiped()) value = await readStdin();
  else throw usageError('kv put needs a value', "Give it after the key, or pipe it in: echo -n hello | raftctl kv put greeting.");
  const req = etcdserverpb.PutRequest.fromPartial({ key: bytes(key), value, prevKv: o.prevKv === true });
  const { value: res } = await firstAnswer(s.globals.endpoints, (e) => s.conns.kv<etcdserverpb.PutResponse>(e, (c, md, op, cb) => c.put(req, md, op, cb)), false);
  if (s.globals.json) printJson({ header: headerJson(res.header), ...(res.prevKv ? { prevKv: kvJson(res.prevKv) } : {}) });
  else printText(['OK', ...(res.prevKv ? kvLines([res.prevKv]) : [])].join('\n'));
}

async function del(s: Session, key: string, end: string | undefined, o: RangeFlags & { prevKv?: boolean }): Promise<void> {
  const req = etcdserverpb.DeleteRangeRequest.fromPartial({ ...rangeOf(key, end, o), prevKv: o.prevKv === true });
  const { value } = await firstAnswer(s.globals.endpoints, (e) => s.conns.kv<etcdserverpb.DeleteRangeResponse>(e, (c, md, op, cb) => c.deleteRange(req, md, op, cb)), false);
  if (s.globals.json) printJson({ header: headerJson(value.header), deleted: value.deleted, prevKvs: value.prevKvs.map(kvJson) });
  else printText([String(value.deleted), ...kvLines(value.prevKvs)].join('\n'));
}

function writes(ops: readonly etcdserverpb.RequestOp[]): boolean {
  return ops.some((op) => op.request?.$case === 'requestPut' || op.request?.$case === 'requestDeleteRange' || op.request?.$case === 'requestTxn');
}

async function txn(s: Session, o: { if: string[]; then: string[]; else: string[] }): Promise<void> {
  let spec: TxnSpec;
  if (o.if.length + o.then.length + o.else.length > 0) spec = txnFromFlags(o.if, o.then, o.else);
  else if (stdinPiped()) spec = parseTxnScript((await readStdin()).toString('utf8'));
  else throw usageError('kv txn needs requests', "Give --if, --then and --else, or pipe a script in etcdctl's format; see raftctl kv txn --help.");
  if (spec.success.length + spec.failure.length === 0 && spec.compare.length === 0) throw usageError('the transaction is empty', 'Give at least one --then request.');
  const req: etcdserverpb.TxnRequest = { compare: spec.compare, success: spec.success, failure: spec.failure };
  // A transaction that only reads may be sent again to another member; one that writes may not.
  const readOnly = !writes(spec.success) && !writes(spec.failure);
  const { value } = await firstAnswer(s.globals.endpoints, (e) => s.conns.kv<etcdserverpb.TxnResponse>(e, (c, md, op, cb) => c.txn(req, md, op, cb)), readOnly);
  if (s.globals.json) printJson({ header: headerJson(value.header), succeeded: value.succeeded, responses: value.responses.map(responseOpJson) });
  else printText([value.succeeded ? 'SUCCESS' : 'FAILURE', ...value.responses.flatMap(responseOpLines)].join('\n'));
}

const collect = (v: string, all: string[]): string[] => [...all, v];

const TXN_HELP = `
A transaction tests every --if compare; when all hold it runs the --then requests,
otherwise the --else requests, atomically at one revision. It prints SUCCESS or
FAILURE, then each request's result (OK for put, the count for del, key and value
lines for get).

Compares:   value(KEY) = VALUE     version(KEY) > N     create(KEY) = N
            mod(KEY) < N           lease(KEY) != N      (operators: = == != < >)
            version(k) = 0 holds when k does not exist.
Requests:   get KEY [RANGE_END] [--prefix]   put KEY VALUE   del KEY [RANGE_END] [--prefix]
Quote keys and values with spaces: 'put greeting "hello world"'.

With no flags, a script in etcdctl's non-interactive format is read from stdin:
compares, a blank line, success requests, a blank line, failure requests.`;

/** Registers `kv` and its subcommands. */
export function registerKv(program: Command): void {
  const kv = program.command('kv').description('read and write keys (the etcd v3 KV API)');
  withExamples(kv, ['raftctl kv put greeting hello', 'raftctl kv get greeting', 'raftctl kv get app/ --prefix', 'raftctl kv del app/ --prefix']);

  const getCmd = kv
    .command('get')
    .description('read a key, a range [KEY, RANGE_END), or every key with a prefix')
    .argument('<key>')
    .argument('[range_end]', 'end of the range (excluded)')
    .option('--prefix', 'every key that starts with KEY')
    .option('--from-key', 'every key from KEY on')
    .option('--limit <n>', 'at most this many keys (0: no limit)', intIn('--limit', 0), 0)
    .option('--rev <revision>', 'read as of this revision (0: the latest)', intIn('--rev', 0), 0)
    .option('--keys-only', 'print keys without values')
    .option('--count-only', 'print only the number of keys')
    .option('--serializable', "read the endpoint's local state (faster; may be stale)")
    .action((key: string, end: string | undefined, o: GetFlags, c: Command) => runSession(c, (s) => get(s, key, end, o)));
  withExamples(getCmd, ['raftctl kv get greeting', 'raftctl kv get app/ --prefix --keys-only', 'raftctl kv get a z --limit 10', 'raftctl kv get app/ --prefix --json']);

  const putCmd = kv
    .command('put')
    .description('write a key (the value is read from stdin when not given)')
    .argument('<key>')
    .argument('[value]')
    .option('--prev-kv', 'also print the value it replaced')
    .action((key: string, value: string | undefined, o: { prevKv?: boolean }, c: Command) => runSession(c, (s) => put(s, key, value, o)));
  withExamples(putCmd, ['raftctl kv put greeting hello', 'raftctl kv put config/app.json < app.json', 'raftctl kv put greeting hi --prev-kv']);

  const delCmd = kv
    .command('del')
    .alias('delete')
    .description('delete a key, a range, or every key with a prefix; prints how many were deleted')
    .argument('<key>')
    .argument('[range_end]', 'end of the range (excluded)')
    .option('--prefix', 'every key that starts with KEY')
    .option('--from-key', 'every key from KEY on')
    .option('--prev-kv', 'also print the deleted pairs')
    .action((key: string, end: string | undefined, o: RangeFlags & { prevKv?: boolean }, c: Command) => runSession(c, (s) => del(s, key, end, o)));
  withExamples(delCmd, ['raftctl kv del greeting', 'raftctl kv del app/ --prefix']);

  const txnCmd = kv
    .command('txn')
    .description('compare and set atomically: --if compares, --then and --else requests')
    .option('--if <compare>', 'a condition; all must hold (repeatable)', collect, [])
    .option('--then <request>', 'run when every condition holds (repeatable)', collect, [])
    .option('--else <request>', 'run otherwise (repeatable)', collect, [])
    .addHelpText('after', TXN_HELP)
    .action((o: { if: string[]; then: string[]; else: string[] }, c: Command) => runSession(c, (s) => txn(s, o)));
  withExamples(txnCmd, [
    `raftctl kv txn --if 'value(config) = v1' --then 'put config v2' --else 'get config'`,
    `raftctl kv txn --if 'version(lock) = 0' --then 'put lock me' --else 'get lock'`,
    `printf 'mod("k") > 0\\n\\nput k new\\n\\nget k\\n' | raftctl kv txn`,
  ]);
}
