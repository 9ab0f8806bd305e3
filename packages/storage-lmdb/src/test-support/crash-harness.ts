/**
 * Runs a bundled fixture (see `bundle-fixture.ts`) in a child process and
 * kills it with SIGKILL, the way a power cut or the OOM killer stops a node
 * mid-write: no exit handlers, no flushing, writes cut wherever they are.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** A running fixture and the lines it printed. */
export class CrashChild {
  /** Complete stdout lines, in order. */
  readonly lines: string[] = [];
  private stdoutTail = '';
  private stderr = '';
  private readonly child: ChildProcess;
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { predicate: (line: string) => boolean; resolve: () => void }[] = [];

  /** Starts the fixture at `bundlePath`; it loads its modules and waits for {@link start}. */
  constructor(bundlePath: string) {
    this.child = spawn(process.execPath, [bundlePath], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Hands the fixture its arguments: it begins its work now. */
  start(args: string[]): void {
    this.child.stdin!.end(args.join(' ') + '\n');
  }

  /** Resolves when a line matching `predicate` was printed; rejects if the child exits first. */
  async waitFor(predicate: (line: string) => boolean, timeoutMs: number): Promise<void> {
    if (this.lines.some(predicate)) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push({ predicate, resolve })),
        this.closed.then((c) => {
          throw new Error(`fixture exited (code ${c.code}, signal ${c.signal}) before the expected line; stderr:\n${this.stderr}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`fixture printed no expected line within ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the child has exited by itself; rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`fixture did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the child with SIGKILL and waits until its output is fully read. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    this.child.stdin!.destroy();
    const { signal, code } = await this.closed;
    if (signal !== 'SIGKILL') throw new Error(`fixture ended by itself (code ${code}) instead of being killed; stderr:\n${this.stderr}`);
  }

  /** Kills the child, if still running, without expecting anything of it (cleanup). */
  dispose(): void {
    this.child.kill('SIGKILL');
    this.child.stdin!.destroy();
  }

  private onStdout(chunk: string): void {
    const parts = (this.stdoutTail + chunk).split('\n');
    this.stdoutTail = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(line)) return true;
        w.resolve();
        return false;
      });
    }
  }
}
