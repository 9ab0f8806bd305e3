/**
 * The disk's raw durable-write rate: 4 KiB appended to a file and
 * fdatasync'ed, again and again. This is the ceiling for any store that
 * flushes every commit, measured next to the store's figures in the same run.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Rate, runFor } from './measure.js';

export async function measureFsyncRate(dir: string, seconds: number): Promise<Rate> {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0xab);
  try {
    return await runFor(seconds, () => {
      writeSync(fd, block);
      fdatasyncSync(fd);
    });
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}
