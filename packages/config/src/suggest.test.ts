import { expect, test } from 'vitest';
import { closestName } from './suggest.js';

const known = ['dataDir', 'clusterToken', 'members', 'listen', 'timing', 'TIMING_TICK_MS', 'LOG_LEVEL'];

test.each([
  ['datadir', 'dataDir'],
  ['data_dir', 'dataDir'],
  ['data-dir', 'dataDir'],
  ['dataDri', 'dataDir'],
  ['member', 'members'],
  ['timming', 'timing'],
  ['TICK_MS', 'TIMING_TICK_MS'],
  ['LOGLEVEL', 'LOG_LEVEL'],
])('%s suggests %s', (given, expected) => {
  expect(closestName(given, known)).toBe(expected);
});

test.each(['frobnicate', 'x', '', 'ms'])('%s is too far from every name to suggest one', (given) => {
  expect(closestName(given, known)).toBeUndefined();
});

test('the nearest of several close names wins', () => {
  expect(closestName('peers', ['peer', 'metrics', 'client'])).toBe('peer');
});
