import { etcdserverpb } from '@raftkit/proto';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { bytes } from './bytes.js';
import { parseCompare, parseRequest, parseTxnScript, tokenize } from './txn-syntax.js';

const { CompareResult, CompareTarget } = { CompareResult: etcdserverpb.Compare_CompareResult, CompareTarget: etcdserverpb.Compare_CompareTarget };

describe('tokenize', () => {
  it('splits words and quoted strings with escapes', () => {
    expect(tokenize(`put "a key" 'it''s' "say \\"hi\\"\\n"`).map((t) => t.text)).toEqual(['put', 'a key', 'it', 's', 'say "hi"\n']);
  });
  it('refuses an unclosed quote', () => expect(() => tokenize('put "k v')).toThrow(/unclosed " quote/));
});

describe('parseCompare', () => {
  it('reads etcdctl\'s quoted form', () => {
    expect(parseCompare('value("k") = "v"')).toEqual({ result: CompareResult.EQUAL, target: CompareTarget.VALUE, key: bytes('k'), rangeEnd: new Uint8Array(), targetUnion: { $case: 'value', value: bytes('v') } });
  });

  it.each([
    ['version(k) > 0', CompareTarget.VERSION, CompareResult.GREATER, { $case: 'version', value: 0 }],
    ['create(k)==3', CompareTarget.CREATE, CompareResult.EQUAL, { $case: 'createRevision', value: 3 }],
    ['mod( k ) < "12"', CompareTarget.MOD, CompareResult.LESS, { $case: 'modRevision', value: 12 }],
    ['lease(k) != 7', CompareTarget.LEASE, CompareResult.NOT_EQUAL, { $case: 'lease', value: 7 }],
    ["val('a b') != 'x = y'", CompareTarget.VALUE, CompareResult.NOT_EQUAL, { $case: 'value', value: bytes('x = y') }],
  ])('%s', (text, target, result, targetUnion) => {
    expect(parseCompare(text)).toMatchObject({ target, result, targetUnion });
  });

  it.each([
    ['size(k) = 1', /expected value, version, create, mod or lease/],
    ['value k = v', /expected value\(KEY\)/],
    ['value(k) ~ v', /expected one of = != < >/],
    ['version(k) > x', /compared with an integer/],
    ['value(k) =', /nothing to compare/],
    ['value(k) = v w', /unexpected 'w'/],
    ['value("") = v', /the key is empty/],
  ])('refuses %j', (text, why) => {
    expect(() => parseCompare(text)).toThrow(CliError);
    expect(() => parseCompare(text)).toThrow(why);
  });
});

describe('parseRequest', () => {
  it('put with a quoted value', () => {
    expect(parseRequest('put k "hello world"')).toEqual({ request: { $case: 'requestPut', value: etcdserverpb.PutRequest.fromPartial({ key: bytes('k'), value: bytes('hello world') }) } });
  });
  it('get with --prefix and del with a range end', () => {
    expect(parseRequest('get app/ --prefix').request).toMatchObject({ $case: 'requestRange', value: { key: bytes('app/'), rangeEnd: bytes('app0') } });
    expect(parseRequest('delete a z').request).toMatchObject({ $case: 'requestDeleteRange', value: { key: bytes('a'), rangeEnd: bytes('z') } });
  });
  it.each([
    ['put k', /needs a key and a value/],
    ['get', /needs a key/],
    ['get a z --prefix', /both a range end and --prefix/],
    ['get a --limit', /does not take --limit/],
    ['watch k', /starts with get, put or del/],
  ])('refuses %j', (text, why) => expect(() => parseRequest(text)).toThrow(why));
});

describe('parseTxnScript', () => {
  it("reads etcdctl's three sections separated by blank lines", () => {
    const t = parseTxnScript('mod("k") > "0"\nvalue(k) = v\n\nput k new\n\nget k\nput other x\n');
    expect([t.compare.length, t.success.length, t.failure.length]).toEqual([2, 1, 2]);
  });
  it('a leading blank line means no compares; comments are skipped', () => {
    const t = parseTxnScript('# no conditions\n\nput k v\n');
    expect([t.compare.length, t.success.length, t.failure.length]).toEqual([0, 1, 0]);
  });
});
