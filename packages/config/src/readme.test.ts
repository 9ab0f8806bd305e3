import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadConfig } from './load.js';
import { configOptions } from './options.js';
import { useTempDirs } from './test-support/temp-dir.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const tempDir = useTempDirs();

function codeBlock(language: string): string {
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(readme)?.[1];
  if (block === undefined) throw new Error(`README.md has no ${language} block`);
  return block;
}

describe('README.md', () => {
  test('the full YAML example loads', () => {
    const dir = tempDir();
    for (const name of ['server.crt', 'server.key', 'peer.crt', 'peer.key', 'ca.crt']) dir.write(`tls-${name}`, 'PEM\n');
    const yaml = codeBlock('yaml').replaceAll('tls/', 'tls-');
    dir.write('raftkit.yaml', yaml);
    const config = loadConfig({ argv: ['--config', 'raftkit.yaml'], env: {}, cwd: dir.path });
    expect(config.self.name).toBe('alpha');
    expect(config.dataDir).toBe('/var/lib/raftkit/1');
    expect(config.tls.peer?.clientCertAuth).toBe(true);
  });

  test('the one-host cluster file loads for each member', () => {
    const dir = tempDir();
    dir.write('cluster.json', codeBlock('json'));
    for (const id of [1, 2, 3]) {
      const config = loadConfig({ argv: ['--config', 'cluster.json', '--id', String(id)], env: {}, cwd: dir.path });
      expect(config.listen.peer).toEqual([{ host: '127.0.0.1', port: id * 10_000 + 2380 }]);
      expect(config.timing).toEqual({ tickMs: 100, heartbeatTicks: 10, electionTicks: 15, electionTicksMax: 50 });
    }
  });

  test('the table lists every flag and variable with its default', () => {
    for (const option of configOptions) {
      const flag = option.valueName === '' ? option.flag : `${option.flag} ${option.valueName}`;
      const row = `| \`${flag}\` | \`${option.env}\` | ${option.path === undefined ? '—' : `\`${option.path}\``} | ${option.defaultText ?? '—'} |`;
      expect(readme).toContain(row);
    }
  });
});
