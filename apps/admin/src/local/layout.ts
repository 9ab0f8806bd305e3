/**
 * Where a local cluster lives: `./.raftkit-local/` holds the server
 * configuration every member shares (`raftkit.json`), one folder per member
 * (`m<id>/data`, `m<id>/member.log`) and `cluster.json`, raftctl's record of
 * the members' ports and process ids.
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';

/** The default folder, relative to the working directory. */
export const DEFAULT_LOCAL_DIR = '.raftkit-local';

/** One local member as recorded. */
export interface LocalMember {
  id: number;
  client: string;
  peer: string;
  metrics: string;
  /** The process id of the last start, or null once stopped. */
  pid: number | null;
  dataDir: string;
  log: string;
}

/** The record of a local cluster (`cluster.json`). */
export interface LocalCluster {
  version: 1;
  createdAt: string;
  /** The server entry point the members run. */
  server: string;
  /** The server configuration file the members share. */
  config: string;
  /** Extra server flags given after `--`, used again on restarts. */
  serverArgs: string[];
  members: LocalMember[];
}

/** Paths inside the folder `dir`. */
export function localPaths(dir: string) {
  return {
    dir,
    record: join(dir, 'cluster.json'),
    config: join(dir, 'raftkit.json'),
    memberDir: (id: number) => join(dir, `m${id}`),
    dataDir: (id: number) => join(dir, `m${id}`, 'data'),
    log: (id: number) => join(dir, `m${id}`, 'member.log'),
  };
}

/** Reads `cluster.json`; undefined when there is none. */
export function readLocalCluster(dir: string): LocalCluster | undefined {
  const file = localPaths(dir).record;
  if (!existsSync(file)) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalCluster>;
    if (v.version !== 1 || !Array.isArray(v.members) || typeof v.server !== 'string' || typeof v.config !== 'string' || !Array.isArray(v.serverArgs)) {
      throw new Error('unexpected content');
    }
    for (const m of v.members) {
      if (!Number.isSafeInteger(m.id) || typeof m.client !== 'string' || typeof m.peer !== 'string') throw new Error('a member record is incomplete');
    }
    return v as LocalCluster;
  } catch (e) {
    throw new CliError(ExitCode.Local, `cannot read ${file}: ${(e as Error).message}`, { hint: `Remove ${dir} (raftctl local down --purge) and start again.`, cause: e });
  }
}

/** Writes `cluster.json` atomically (a reader never sees half a file). */
export function writeLocalCluster(dir: string, cluster: LocalCluster): void {
  const file = localPaths(dir).record;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(cluster, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The addresses of member `id` (1-based) from a base port: member i serves
 * clients on base + 10·(i−1), peers on the next port and metrics on the one
 * after, so with the default base 2379 member 1 is where raftctl looks by
 * default.
 */
export function memberPorts(basePort: number, id: number): { client: number; peer: number; metrics: number } {
  const client = basePort + 10 * (id - 1);
  return { client, peer: client + 1, metrics: client + 2 };
}
