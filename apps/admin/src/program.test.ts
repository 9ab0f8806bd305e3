import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

/** Every command of the tree with its full name. */
function commands(cmd: Command, prefix = ''): Array<[string, Command]> {
  return cmd.commands.filter((c) => c.name() !== 'help').flatMap((c): Array<[string, Command]> => {
    const name = `${prefix}${c.name()}`;
    return [[name, c], ...commands(c, `${name} `)];
  });
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

describe('raftctl help', () => {
  const all = commands(buildProgram());

  it('covers the commands operators need', () => {
    expect(all.map(([n]) => n)).toEqual([
      'status', 'watch',
      'member', 'member list', 'member add', 'member remove', 'member promote', 'member update',
      'leader', 'leader transfer',
      'snapshot', 'snapshot take', 'snapshot save', 'compact',
      'kv', 'kv get', 'kv put', 'kv del', 'kv txn',
      'bench', 'bench put', 'bench get',
      'local', 'local up', 'local down', 'local status',
      'check',
    ]);
  });

  it('shows duration defaults as durations, not milliseconds', () => {
    const help = (name: string) => helpOf(all.find(([n]) => n === name)![1]);
    expect(help('local up')).toMatch(/--wait <duration>\s+how long to wait for a leader \(default: 30s\)/);
    expect(help('local down')).toContain('(default: 10s)');
    expect(help('watch')).toContain('(default: 1s)');
    expect(help('check')).toContain('(default: 200ms)');
  });

  it.each(all)('%s has a description and examples that use it', (name, cmd) => {
    const help = helpOf(cmd);
    expect(cmd.description()).not.toBe('');
    expect(help).toContain('Examples:');
    expect(help).toContain(`raftctl ${name}`.split(' ').slice(0, 2).join(' '));
  });
});
