/**
 * What the benchmark needs before it starts, and exactly how to get what is
 * missing: etcd and etcdctl (Debian packages), kvload's npm dependencies, the
 * shared bench scripts, and a built raftkit server (warning when the build
 * looks older than the sources).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Paths the checks look at. */
export interface Paths {
  repoRoot: string;
  benchDir: string;
  serverMain: string;
}

/** Problems that stop the run (with the fix) and warnings that do not. */
export interface PrerequisiteReport {
  missing: string[];
  warnings: string[];
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
}

/** Newest modification time (ms) of the files under `dir` whose name passes `keep`. */
function newestMtime(dir: string, keep: (name: string) => boolean): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, keep));
    else if (keep(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The workspace packages the server runs from their `dist/`. */
export const BUILT_PACKAGES = ['apps/node', 'packages/core', 'packages/proto', 'packages/storage-lmdb', 'packages/transport-grpc', 'packages/config'];

/** Checks everything; never throws. */
export function checkPrerequisites(p: Paths): PrerequisiteReport {
  const missing: string[] = [];
  const warnings: string[] = [];
  if (!runs('etcd', ['--version']) || !runs('etcdctl', ['version'])) {
    missing.push('etcd and etcdctl (3.4, as in RESULTS-etcd.md): apt-get update && apt-get install -y etcd-server etcd-client');
  }
  for (const f of ['kvload/kvload.mjs', 'etcd-cluster.sh', 'RESULTS-etcd.md']) {
    if (!existsSync(join(p.benchDir, f))) missing.push(`${join(p.benchDir, f)}: the shared bench tools are expected there (pass --bench-dir DIR if they live elsewhere)`);
  }
  if (!existsSync(join(p.benchDir, 'kvload/node_modules/@grpc/grpc-js/package.json'))) {
    missing.push(`kvload's dependencies: cd ${join(p.benchDir, 'kvload')} && npm ci`);
  }
  if (!existsSync(p.serverMain)) {
    missing.push(`a built raftkit server (${p.serverMain}): cd ${p.repoRoot} && pnpm build`);
  } else {
    const stale = BUILT_PACKAGES.filter((pkg) => {
      const src = newestMtime(join(p.repoRoot, pkg, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'));
      const dist = newestMtime(join(p.repoRoot, pkg, 'dist'), (n) => n.endsWith('.js'));
      return dist === 0 || src > dist;
    });
    if (stale.length) warnings.push(`sources newer than the build in ${stale.join(', ')}: the benchmark runs the build; run pnpm build first to measure the sources`);
  }
  return { missing, warnings };
}
