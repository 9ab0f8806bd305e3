/** The raftctl command tree: global flags, every command, help with examples and exit codes. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_CODES_HELP } from './cli/exit-codes.js';
import { addGlobalOptions } from './cli/globals.js';
import { registerBench } from './commands/bench.js';
import { registerCheck } from './commands/check.js';
import { registerKv } from './commands/kv.js';
import { registerLeader } from './commands/leader.js';
import { registerLocal } from './commands/local.js';
import { registerMember } from './commands/member.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStatus } from './commands/status.js';
import { registerWatch } from './commands/watch.js';

/** raftctl's version, from its package.json (one directory above both src/ and dist/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const ROOT_HELP = `
Environment:
  RAFTCTL_ENDPOINTS, RAFTCTL_TIMEOUT, RAFTCTL_CACERT, RAFTCTL_CERT, RAFTCTL_KEY,
  RAFTCTL_AUTH_TOKEN set the flags of the same name; flags win.

${EXIT_CODES_HELP}

Examples:
  raftctl local up --nodes 3              start a 3-member cluster on this machine
  raftctl status                          every member, its role, indexes and lag
  raftctl kv put greeting hello
  raftctl kv get greeting
  raftctl --endpoints 10.0.0.1:2379,10.0.0.2:2379 member list
  raftctl status --json | jq .leader
`;

/**
 * Builds the program. Errors are not printed or acted on by commander:
 * `exitOverride` turns them into exceptions that main reports as one line
 * with the usage exit code.
 */
export function buildProgram(): Command {
  const program = new Command('raftctl');
  program
    .description('raftctl: operate a raftkit cluster (status, membership, snapshots, keys, load, local clusters)')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ outputError: () => {} })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', ROOT_HELP);
  addGlobalOptions(program);
  registerStatus(program);
  registerWatch(program);
  registerMember(program);
  registerLeader(program);
  registerSnapshot(program);
  registerKv(program);
  registerBench(program);
  registerLocal(program);
  registerCheck(program);
  return program;
}
