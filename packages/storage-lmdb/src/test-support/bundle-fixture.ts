/**
 * Bundles a TypeScript fixture (with the workspace packages it imports, from
 * their sources) into one JavaScript file that plain `node` starts in a
 * fraction of the time tsx needs to load the same modules one by one; the
 * crash tests start a process per kill, so this decides how many kills fit
 * in the time budget.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** A bundled fixture; call {@link remove} when done. */
export interface BundledFixture {
  path: string;
  remove(): void;
}

/** Bundles `entry`; `lmdb` stays external (a native addon), resolved from this package. */
export async function bundleFixture(entry: URL): Promise<BundledFixture> {
  // Inside the package, so that the external `lmdb` import resolves from its node_modules.
  const outDir = fileURLToPath(new URL('../../node_modules/.cache/raftkit-crash-fixtures/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${basename(fileURLToPath(entry), '.ts')}-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [fileURLToPath(entry)],
    outfile: path,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@raftkit/source'],
    external: ['lmdb'],
    logLevel: 'warning',
  });
  return { path, remove: () => rmSync(path, { force: true }) };
}
