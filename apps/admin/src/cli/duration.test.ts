import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3', 3000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '5 s', '-1s', '0s', '1d'])('refuses %j', (text) => expect(() => parseDuration(text)).toThrow(InvalidArgumentError));
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [5000, '5s'],
    [1500, '1.5s'],
    [120_000, '2m'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
