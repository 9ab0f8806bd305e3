/**
 * Before the end-to-end tests: they run the built raftctl and the built
 * server as processes. In CI turbo has built both; locally, raftctl is
 * rebuilt here when its sources are newer than its build, and a missing
 * server build is reported with the command that makes it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ADMIN_ROOT, RAFTCTL_MAIN, SERVER_MAIN } from './paths.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Vitest's global setup: runs once before every test file. */
export default function setup(): void {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`the raftkit server is not built (${SERVER_MAIN}); run: pnpm exec turbo run build --filter=@raftkit/node`);
  }
  const built = existsSync(RAFTCTL_MAIN) ? statSync(RAFTCTL_MAIN).mtimeMs : 0;
  if (built < newestSource(join(ADMIN_ROOT, 'src'))) {
    const tsc = createRequire(join(ADMIN_ROOT, 'package.json')).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ADMIN_ROOT, stdio: 'inherit' });
  }
}
