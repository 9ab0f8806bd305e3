import { expect, test } from 'vitest';
import { formatConfigHelp } from './help.js';
import { configOptions } from './options.js';

test('help names every flag with its variable, its field and its default', () => {
  const help = formatConfigHelp({ width: 1000 });
  for (const option of configOptions) {
    // A flag too long for its column has its description on the next line.
    const head = option.valueName === '' ? `  ${option.flag}` : `  ${option.flag} ${option.valueName}`;
    expect(help.includes(`${head} `) || help.includes(`${head}\n`)).toBe(true);
    expect(help).toContain(`env ${option.env}`);
    if (option.path !== undefined) expect(help).toContain(`file ${option.path}`);
    if (option.defaultText !== undefined) expect(help).toContain(`default ${option.defaultText}`);
  }
  expect(help).toContain('-h, --help');
  expect(help).toContain('--version');
});

test('help fits the width it is given', () => {
  for (const width of [80, 100]) {
    const lines = formatConfigHelp({ width }).split('\n');
    expect(lines.filter((line) => line.length > width)).toEqual([]);
  }
});

test('descriptions wrap under their flag', () => {
  const help = formatConfigHelp({ width: 80 });
  expect(help).toContain(
    [
      '  --data-dir DIR                  Where the log, snapshots and data live; {id}',
      '                                  is replaced by the member id.',
      '                                  env RAFTKIT_DATA_DIR · file dataDir · default',
      '                                  ./data',
    ].join('\n'),
  );
});
