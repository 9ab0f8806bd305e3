/** Runs raftctl as a process, as an operator or a script would. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { RAFTCTL_MAIN } from './paths.js';

/** What a raftctl run produced. */
export interface RaftctlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of one run. */
export interface RunOptions {
  /** Written to stdin (stdin is closed either way). */
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Closes the reading end of stdout at once, like `raftctl ... | head -c0`: raftctl's writes there fail with EPIPE. */
  closeStdout?: boolean;
}

/** The environment without the caller's RAFTCTL_* and RAFTKIT_* settings, so runs are reproducible. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAFTCTL_') && !k.startsWith('RAFTKIT_')));
  return { ...env, ...extra };
}

/** Starts raftctl without waiting for it (for `watch`). */
export function spawnRaftctl(args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [RAFTCTL_MAIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs raftctl to completion. */
export function raftctl(args: readonly string[], options: RunOptions = {}): Promise<RaftctlResult> {
  const child = spawnRaftctl(args, options);
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftctl ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fails with what to install when `script` (util-linux, Debian's bsdutils) is missing: the terminal tests need it. */
export function requireScript(): void {
  if (spawnSync('script', ['--version']).status !== 0) {
    throw new Error("the terminal tests run raftctl under `script` from util-linux (Debian's bsdutils package); install it");
  }
}

/** What a raftctl run on a terminal showed. */
export interface TerminalResult {
  code: number | null;
  /** Every byte the terminal received from stdout and stderr, escape codes included, lines ending in \r\n. */
  output: string;
}

/**
 * Runs raftctl on a pseudo-terminal (`script -qec`), as a person at a
 * terminal would: stdout and stderr are both the terminal, so what is drawn
 * only there (progress bars) is drawn.
 */
export function raftctlOnTerminal(args: readonly string[], options: Pick<RunOptions, 'env' | 'timeoutMs'> = {}): Promise<TerminalResult> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, RAFTCTL_MAIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftctl ${args.join(' ')} on a terminal did not finish within ${options.timeoutMs ?? 60_000} ms\noutput: ${output}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The frames of a progress bar in terminal output whose text starts with
 * `prefix`: cli-progress redraws the line from column 1 (ESC [1G) and
 * clears what is left of the old frame (ESC [0K).
 */
export function barFrames(output: string, prefix: string): string[] {
  return output
    .split('\x1b[1G')
    .map((piece) => piece.split('\x1b[0K')[0]!)
    .filter((frame) => frame.startsWith(prefix));
}

/**
 * Parses a table printed by raftctl. Columns are padded to a common width
 * and joined by three spaces, so the gaps between columns are the runs of
 * three or more positions that are blank on every line.
 */
export function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.replace(/\s+$/, '').split('\n');
  const width = Math.max(...lines.map((l) => l.length));
  const blank = Array.from({ length: width }, (_, i) => lines.every((l) => (l[i] ?? ' ') === ' '));
  const spans: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i <= width; i++) {
    const inGap = i === width || blank[i]!;
    if (!inGap && start < 0) start = i;
    if (inGap && start >= 0) {
      // A blank run shorter than the gap is a space inside a cell (DB SIZE).
      let j = i;
      while (j < width && blank[j]) j++;
      if (j - i >= 3 || j === width) {
        spans.push([start, i]);
        start = -1;
      }
      i = j - 1;
    }
  }
  const cut = (line: string) => spans.map(([a, b]) => line.slice(a, b).trim());
  const headers = cut(lines[0] ?? '');
  return lines.slice(1).map((line) => Object.fromEntries(cut(line).map((c, i) => [headers[i]!, c])));
}

/** Polls `fn` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
