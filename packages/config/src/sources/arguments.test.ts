import { expect, test } from 'vitest';
import { detectInfoFlag, readArguments } from './arguments.js';

test.each([
  [['--help'], 'help'],
  [['-h'], 'help'],
  [['--config', 'broken.yaml', '--version'], 'version'],
  [['--bogus', '--help', '--version'], 'help'],
  [['-help'], 'help'],
  [['-version'], 'version'],
  [['--data-dir', 'x'], undefined],
  [['--', '--help'], undefined],
  [[], undefined],
])('detectInfoFlag(%j) is %s', (argv, expected) => {
  expect(detectInfoFlag(argv)).toBe(expected);
});

test('single-dash long flags work as in etcd', () => {
  const reading = readArguments(['-data-dir', '/srv', '-log-level=debug', '-client-cert-auth', '-h']);
  expect(reading.issues).toEqual([]);
  expect(reading.layer?.data).toEqual({ dataDir: '/srv', log: { level: 'debug' }, tls: { client: { clientCertAuth: true } } });
  expect(reading.layer?.describe(['dataDir'])).toBe('--data-dir');
});

test('an unknown single-dash flag is one problem, not one per letter', () => {
  expect(readArguments(['-dta-dir', '/srv', '-x']).issues.map((i) => i.message)).toEqual([
    '-dta-dir: unknown flag, got "/srv"; did you mean --data-dir?',
    '-x: unknown flag with no value; expected a flag listed in --help',
  ]);
});
