/** A description of the machine and of the versions measured, for the record. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { BUILT_PACKAGES } from './prerequisites.js';

/** What ran where. */
export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  etcd: string;
  /** The raftkit commit, with a note when the working tree differs from it. */
  raftkit: string;
  /** When the measured server build was made. */
  serverBuiltAt: string;
  /**
   * A hash of the compiled JavaScript the server runs (every package's
   * `dist/`): two runs with the same value measured the same code, whatever
   * the working tree looked like.
   */
  buildHash: string;
}

/** Hash of every `dist/**\/*.js` of the packages the server runs, in path order. */
export function buildHash(repoRoot: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) hash.update(p).update(readFileSync(p));
    }
  };
  for (const pkg of BUILT_PACKAGES) walk(join(repoRoot, pkg, 'dist'));
  return hash.digest('hex').slice(0, 12);
}

const first = (cmd: string, args: string[], cwd?: string): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  return r.status === 0 ? r.stdout.trim().split('\n')[0]!.trim() : '';
};

/** Describes this machine, etcd and the raftkit build at `serverMain`. */
export function machineInfo(repoRoot: string, serverMain: string): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const hv = readFileSync('/proc/cpuinfo', 'utf8').includes(' hypervisor') ? ', under a hypervisor' : '';
    cpu += hv;
  } catch {
    // Not Linux: the model alone will do.
  }
  const commit = first('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const dirty = first('git', ['status', '--porcelain', '--untracked-files=no'], repoRoot) !== '';
  return {
    date: new Date().toISOString(),
    cpu,
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    etcd: first('etcd', ['--version']).replace(/^etcd Version:\s*/, 'etcd '),
    raftkit: commit ? `${commit}${dirty ? ' + uncommitted changes' : ''}` : 'unknown',
    serverBuiltAt: statSync(serverMain).mtime.toISOString(),
    buildHash: buildHash(repoRoot),
  };
}

/** The description as a markdown list. */
export function machineMarkdown(m: MachineInfo): string {
  return [
    `- date: ${m.date}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.kernel}`,
    `- Node ${m.node}; ${m.etcd}`,
    `- raftkit ${m.raftkit}, server build of ${m.serverBuiltAt} (build hash ${m.buildHash})`,
  ].join('\n');
}
