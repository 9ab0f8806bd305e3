/**
 * Progress bars on stderr (cli-progress), drawn only on a terminal and never
 * with --json, so that stdout stays clean for results and pipes see no
 * escape codes.
 */
import { SingleBar } from 'cli-progress';

/** A progress bar, or nothing when there is no terminal to draw on. */
export interface Progress {
  start(total: number, payload?: Record<string, string>): void;
  update(value: number, payload?: Record<string, string>): void;
  stop(): void;
}

const NONE: Progress = { start: () => {}, update: () => {}, stop: () => {} };

/**
 * A bar with `format` (cli-progress placeholders such as {bar},
 * {percentage}, {eta_formatted}, plus the payload's keys), drawn when
 * `enabled` and stderr is a terminal.
 */
export function progressBar(format: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return NONE;
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, barsize: 30, fps: 10, etaBuffer: 50 });
  let started = false;
  return {
    start: (total, payload) => {
      started = true;
      bar.start(Math.max(1, total), 0, payload ?? {});
    },
    update: (value, payload) => {
      if (started) bar.update(value, payload ?? {});
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
