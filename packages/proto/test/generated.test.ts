/**
 * The committed code in src/gen must be exactly what `generate` produces
 * from proto/ with the pinned buf and ts-proto, and producing it must need
 * nothing but what `pnpm install` installs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const protoDir = join(packageDir, '..', '..', 'proto');
const binDir = join(packageDir, 'node_modules', '.bin');
const committedDir = join(packageDir, 'src', 'gen');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated code', () => {
  const temps: string[] = [];
  afterAll(async () => {
    for (const t of temps) await rm(t, { recursive: true, force: true });
  });

  it('matches a fresh generation from proto/ byte for byte', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'raftkit-proto-gen-'));
    temps.push(tmp);
    const outDir = join(tmp, 'gen');
    const template = await readFile(join(protoDir, 'buf.gen.yaml'), 'utf8');
    const outLine = 'out: ../packages/proto/src/gen';
    expect(template).toContain(outLine);
    const templatePath = join(tmp, 'buf.gen.yaml');
    await writeFile(templatePath, template.replace(outLine, `out: ${outDir}`));
    await run(join(binDir, 'buf'), ['generate', protoDir, '--template', templatePath], {
      env: { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` },
    });

    const fresh = await listFiles(outDir);
    expect(fresh).toEqual(await listFiles(committedDir));
    expect(fresh.length).toBeGreaterThanOrEqual(5);
    for (const file of fresh) {
      const [a, b] = await Promise.all([readFile(join(outDir, file), 'utf8'), readFile(join(committedDir, file), 'utf8')]);
      expect(a, `${file} is stale: run \`pnpm gen\``).toBe(b);
    }
  });

  it('passes buf lint', async () => {
    await expect(run(join(binDir, 'buf'), ['lint', protoDir])).resolves.toBeDefined();
  });
});
