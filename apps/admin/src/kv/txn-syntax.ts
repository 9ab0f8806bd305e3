/**
 * A readable syntax for transactions, close to etcdctl's:
 *
 *   compare:  value("k") = "v"     version(k) > 0     create(k) = 0
 *             mod(k) < 100         lease(k) != 0      (operators = == != < >)
 *   request:  get KEY [RANGE_END] [--prefix] | put KEY VALUE | del KEY [RANGE_END] [--prefix]
 *
 * Keys and values may be quoted with "double" (backslash escapes \" \\ \n \t)
 * or 'single' quotes. A script is etcdctl's non-interactive form: compares,
 * a blank line, success requests, a blank line, failure requests.
 */
import { etcdserverpb } from '@raftkit/proto';
import { usageError } from '../cli/errors.js';
import { bytes, prefixEnd } from './bytes.js';

/** A transaction, parsed. */
export interface TxnSpec {
  compare: etcdserverpb.Compare[];
  success: etcdserverpb.RequestOp[];
  failure: etcdserverpb.RequestOp[];
}

const SYNTAX_HINT = "Write compares like value(\"k\") = \"v\" or mod(k) > 0, and requests like 'put k v', 'get k', 'del k --prefix'; see raftctl kv txn --help.";

interface Token {
  text: string;
  /** Quoted text is never an operator or a flag. */
  quoted: boolean;
}

/** Splits `text` into words and quoted strings; `operators` also splits on ( ) = ! < >. */
export function tokenize(text: string, operators = false): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      let s = '';
      i++;
      while (i < text.length && text[i] !== ch) {
        if (ch === '"' && text[i] === '\\' && i + 1 < text.length) {
          const next = text[i + 1]!;
          s += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else {
          s += text[i++];
        }
      }
      if (i >= text.length) throw usageError(`unclosed ${ch} quote in '${text}'`, SYNTAX_HINT);
      i++;
      out.push({ text: s, quoted: true });
    } else if (operators && /[()=!<>]/.test(ch)) {
      const two = text.slice(i, i + 2);
      const op = two === '==' || two === '!=' ? two : ch;
      out.push({ text: op, quoted: false });
      i += op.length;
    } else {
      let s = '';
      const stop = operators ? /[\s"'()=!<>]/ : /[\s"']/;
      while (i < text.length && !stop.test(text[i]!)) s += text[i++];
      out.push({ text: s, quoted: false });
    }
  }
  return out;
}

const TARGETS: Record<string, etcdserverpb.Compare_CompareTarget> = {
  value: etcdserverpb.Compare_CompareTarget.VALUE,
  val: etcdserverpb.Compare_CompareTarget.VALUE,
  version: etcdserverpb.Compare_CompareTarget.VERSION,
  ver: etcdserverpb.Compare_CompareTarget.VERSION,
  create: etcdserverpb.Compare_CompareTarget.CREATE,
  c: etcdserverpb.Compare_CompareTarget.CREATE,
  mod: etcdserverpb.Compare_CompareTarget.MOD,
  m: etcdserverpb.Compare_CompareTarget.MOD,
  lease: etcdserverpb.Compare_CompareTarget.LEASE,
};

const RESULTS: Record<string, etcdserverpb.Compare_CompareResult> = {
  '=': etcdserverpb.Compare_CompareResult.EQUAL,
  '==': etcdserverpb.Compare_CompareResult.EQUAL,
  '!=': etcdserverpb.Compare_CompareResult.NOT_EQUAL,
  '<': etcdserverpb.Compare_CompareResult.LESS,
  '>': etcdserverpb.Compare_CompareResult.GREATER,
};

/** Parses one compare, e.g. `value("k") = "v"` or `mod(k) > 0`. */
export function parseCompare(text: string): etcdserverpb.Compare {
  const t = tokenize(text, true);
  const [fn, open, key, close, op, operand, ...rest] = t;
  const bad = (why: string) => usageError(`cannot read the compare '${text.trim()}': ${why}`, SYNTAX_HINT);
  if (!fn || fn.quoted || !(fn.text.toLowerCase() in TARGETS)) throw bad(`expected value, version, create, mod or lease, found '${fn?.text ?? ''}'`);
  if (open?.text !== '(' || open.quoted || !key || (!key.quoted && /^[()=!<>]/.test(key.text)) || close?.text !== ')' || close.quoted) {
    throw bad(`expected ${fn.text}(KEY)`);
  }
  if (!op || op.quoted || !(op.text in RESULTS)) throw bad(`expected one of = != < > after ${fn.text}(${key.text}), found '${op?.text ?? ''}'`);
  if (!operand) throw bad(`nothing to compare ${fn.text}(${key.text}) with`);
  if (rest.length > 0) throw bad(`unexpected '${rest.map((r) => r.text).join(' ')}' at the end`);
  if (key.text === '') throw bad('the key is empty');
  const target = TARGETS[fn.text.toLowerCase()]!;
  const base = { result: RESULTS[op.text]!, target, key: bytes(key.text), rangeEnd: new Uint8Array() };
  if (target === etcdserverpb.Compare_CompareTarget.VALUE) return { ...base, targetUnion: { $case: 'value', value: bytes(operand.text) } };
  if (!/^-?\d+$/.test(operand.text) || !Number.isSafeInteger(Number(operand.text))) throw bad(`${fn.text} is compared with an integer, not '${operand.text}'`);
  const n = Number(operand.text);
  switch (target) {
    case etcdserverpb.Compare_CompareTarget.VERSION:
      return { ...base, targetUnion: { $case: 'version', value: n } };
    case etcdserverpb.Compare_CompareTarget.CREATE:
      return { ...base, targetUnion: { $case: 'createRevision', value: n } };
    case etcdserverpb.Compare_CompareTarget.MOD:
      return { ...base, targetUnion: { $case: 'modRevision', value: n } };
    default:
      return { ...base, targetUnion: { $case: 'lease', value: n } };
  }
}

/** A key range from `KEY [RANGE_END] [--prefix] [--from-key]` words. */
function keyRange(words: Token[], what: string): { key: Uint8Array; rangeEnd: Uint8Array } {
  const flags = words.filter((w) => !w.quoted && w.text.startsWith('--')).map((w) => w.text);
  const args = words.filter((w) => w.quoted || !w.text.startsWith('--')).map((w) => w.text);
  const unknown = flags.filter((f) => f !== '--prefix' && f !== '--from-key');
  if (unknown.length > 0) throw usageError(`'${what}' does not take ${unknown.join(' ')}`, SYNTAX_HINT);
  if (args.length === 0 || args.length > 2) throw usageError(`'${what}' needs a key and at most a range end`, SYNTAX_HINT);
  const key = bytes(args[0]!);
  if (key.length === 0) throw usageError(`'${what}' has an empty key`, SYNTAX_HINT);
  if (flags.includes('--prefix')) {
    if (args.length > 1) throw usageError(`'${what}' gives both a range end and --prefix`, SYNTAX_HINT);
    return { key, rangeEnd: prefixEnd(key) };
  }
  if (flags.includes('--from-key')) return { key, rangeEnd: Uint8Array.of(0) };
  return { key, rangeEnd: args[1] !== undefined ? bytes(args[1]) : new Uint8Array() };
}

/** Parses one request, e.g. `put k v`, `get k --prefix`, `del k`. */
export function parseRequest(text: string): etcdserverpb.RequestOp {
  const [verb, ...words] = tokenize(text);
  const what = text.trim();
  switch (verb?.quoted ? '' : verb?.text.toLowerCase()) {
    case 'get':
      return { request: { $case: 'requestRange', value: etcdserverpb.RangeRequest.fromPartial(keyRange(words, what)) } };
    case 'del':
    case 'delete':
      return { request: { $case: 'requestDeleteRange', value: etcdserverpb.DeleteRangeRequest.fromPartial(keyRange(words, what)) } };
    case 'put': {
      if (words.length !== 2) throw usageError(`'${what}' needs a key and a value (quote a value with spaces)`, SYNTAX_HINT);
      if (words[0]!.text === '') throw usageError(`'${what}' has an empty key`, SYNTAX_HINT);
      return { request: { $case: 'requestPut', value: etcdserverpb.PutRequest.fromPartial({ key: bytes(words[0]!.text), value: bytes(words[1]!.text) }) } };
    }
    default:
      throw usageError(`cannot read the request '${what}': it starts with get, put or del`, SYNTAX_HINT);
  }
}

/** Builds a transaction from --if, --then and --else values. */
export function txnFromFlags(ifs: readonly string[], thens: readonly string[], elses: readonly string[]): TxnSpec {
  return { compare: ifs.map(parseCompare), success: thens.map(parseRequest), failure: elses.map(parseRequest) };
}

/**
 * Parses etcdctl's non-interactive transaction format: compares, a blank
 * line, success requests, a blank line, failure requests. Lines starting
 * with # are comments.
 */
export function parseTxnScript(text: string): TxnSpec {
  const sections: string[][] = [[], [], []];
  let at = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line === '') {
      if (at < 2) at++;
      continue;
    }
    sections[at]!.push(line);
  }
  return txnFromFlags(sections[0]!, sections[1]!, sections[2]!);
}
