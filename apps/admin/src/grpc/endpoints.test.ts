import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { parseEndpoint, parseEndpoints } from './endpoints.js';

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:2379', '127.0.0.1:2379', false],
    ['node-1.example:2379', 'node-1.example:2379', false],
    ['[::1]:2379', '[::1]:2379', false],
    ['http://10.0.0.1:2379', '10.0.0.1:2379', false],
    ['https://10.0.0.1:2379/', '10.0.0.1:2379', true],
  ])('%s', (text, address, tls) => expect(parseEndpoint(text)).toEqual({ address, tls }));

  it.each(['localhost', ':2379', '10.0.0.1:0', '10.0.0.1:70000', 'unix:///tmp/sock', 'a b:1'])('refuses %j', (text) => {
    expect(() => parseEndpoint(text)).toThrow(CliError);
  });
});

describe('parseEndpoints', () => {
  it('splits on commas, trims, drops duplicates and keeps the order', () => {
    expect(parseEndpoints(' b:2, a:1 ,b:2,').map((e) => e.address)).toEqual(['b:2', 'a:1']);
  });

  it('refuses an empty list', () => {
    expect(() => parseEndpoints(' , ')).toThrow(/--endpoints is empty/);
  });
});
