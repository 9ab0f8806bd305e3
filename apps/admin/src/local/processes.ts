/**
 * The member processes of a local cluster: started detached (they outlive
 * raftctl), checked by pid, stopped with SIGTERM and, if they linger,
 * SIGKILL.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Whether process `pid` exists and has not exited (a zombie has exited). */
export function isRunning(pid: number | null): boolean {
  if (pid === null || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Linux: the state is the field after the parenthesised command name; Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Whether `pid` still runs the member we started (its command line names our
 * configuration file), so a recycled pid is never signalled. Where /proc is
 * not available, a running pid is trusted.
 */
export function isOurs(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return true;
  }
}

/** Starts `node <args>` detached, its output appended to `logFile`; returns its pid. */
export function spawnDetached(args: readonly string[], logFile: string, cwd: string, env: NodeJS.ProcessEnv): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], cwd, env });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${args[0]}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the given processes: SIGTERM, then SIGKILL for those still running
 * after `graceMs`. Resolves with the pids that had to be killed.
 */
export async function stopProcesses(pids: readonly number[], graceMs: number): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // It exited in between.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isRunning) && Date.now() < deadline) await sleep(100);
  const stubborn = pids.filter(isRunning);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (stubborn.some(isRunning) && Date.now() < killDeadline) await sleep(50);
  return stubborn;
}
