import { describe, expect, test } from 'vitest';
import { addressesCollide, ADDRESS_SYNTAX, formatAddress, parseAddress } from './address.js';

describe('parseAddress', () => {
  test.each([
    ['127.0.0.1:2379', { host: '127.0.0.1', port: 2379, scheme: undefined }],
    ['http://Node-1.example.com:2380', { host: 'node-1.example.com', port: 2380, scheme: 'http' }],
    ['https://10.0.0.1:2379/', { host: '10.0.0.1', port: 2379, scheme: 'https' }],
    ['[::1]:2380', { host: '::1', port: 2380, scheme: undefined }],
    ['HTTPS://[fe80::1]:443', { host: 'fe80::1', port: 443, scheme: 'https' }],
    ['raft_2:2380', { host: 'raft_2', port: 2380, scheme: undefined }],
  ])('reads %s', (text, address) => {
    expect(parseAddress(text, 1)).toEqual({ ok: true, address });
  });

  test.each([
    'localhost',
    'http://localhost',
    'unix://tmp/sock:1',
    'ftp://a:21',
    'http://a:2379/v3',
    '::1:2380',
    '[localhost]:2380',
    'a b:1',
    ':2380',
    'host:',
    'host:12a',
    'host:123456',
  ])('refuses %s as malformed', (text) => {
    expect(parseAddress(text, 1)).toEqual({ ok: false, expected: ADDRESS_SYNTAX });
  });

  test('port 0 is accepted only where the process binds', () => {
    expect(parseAddress('127.0.0.1:0', 0).ok).toBe(true);
    expect(parseAddress('127.0.0.1:0', 1)).toEqual({ ok: false, expected: 'a port from 1 to 65535' });
    expect(parseAddress('127.0.0.1:65536', 0)).toEqual({ ok: false, expected: 'a port from 0 to 65535' });
    expect(parseAddress('127.0.0.1:65535', 1).ok).toBe(true);
  });
});

describe('formatAddress', () => {
  test('brackets IPv6 hosts so the port stays unambiguous', () => {
    expect(formatAddress({ host: '::1', port: 2380 })).toBe('[::1]:2380');
    expect(formatAddress({ host: 'example.com', port: 2379 })).toBe('example.com:2379');
  });
});

describe('addressesCollide', () => {
  test('the same port collides on the same host or with a wildcard host of its family', () => {
    expect(addressesCollide({ host: 'a', port: 1 }, { host: 'a', port: 1 })).toBe(true);
    expect(addressesCollide({ host: '0.0.0.0', port: 1 }, { host: '127.0.0.1', port: 1 })).toBe(true);
    expect(addressesCollide({ host: '10.0.0.1', port: 1 }, { host: '::', port: 1 })).toBe(true);
    expect(addressesCollide({ host: '::', port: 1 }, { host: '::1', port: 1 })).toBe(true);
    expect(addressesCollide({ host: '0.0.0.0', port: 1 }, { host: '::1', port: 1 })).toBe(false);
    expect(addressesCollide({ host: 'a', port: 1 }, { host: 'b', port: 1 })).toBe(false);
    expect(addressesCollide({ host: 'a', port: 1 }, { host: 'a', port: 2 })).toBe(false);
  });

  test('port 0 never collides: the system picks a free port each time', () => {
    expect(addressesCollide({ host: 'a', port: 0 }, { host: 'a', port: 0 })).toBe(false);
  });
});
