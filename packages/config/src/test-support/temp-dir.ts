import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A scratch directory for one test, removed after it. */
export interface TempDir {
  path: string;
  /** Writes `text` to `name` inside the directory and returns the file's absolute path. */
  write(name: string, text: string): string;
}

/**
 * Registers cleanup for the calling test file and returns a factory; each
 * call makes a fresh directory under the system's temp dir.
 */
export function useTempDirs(): () => TempDir {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const path = mkdtempSync(join(tmpdir(), 'raftkit-config-'));
    made.push(path);
    return {
      path,
      write(name, text) {
        const file = join(path, name);
        writeFileSync(file, text);
        return file;
      },
    };
  };
}
