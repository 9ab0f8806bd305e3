/**
 * What the kernel knows about CPU and memory (Linux `/proc`): per-process CPU
 * time, the machine's busy share, a process's resident memory, and a wait for
 * an idle machine. The figures are the same ones `../shared/bench/run-matrix.mjs`
 * and `cpuacct.py` use, so raftkit and etcd are accounted alike.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** Cores of this machine: the machine's busy share is out of 100 × this. */
export const CORES = availableParallelism();

/** The fields after the command name in `/proc/<pid>/stat` (the name may hold spaces). */
function statFields(pid: number | 'self'): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) process `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** CPU seconds process `pid` has used so far, in user space and in the kernel (system calls: fsync, sockets). */
export function cpuTimes(pid: number): { user: number; system: number } {
  const f = statFields(pid);
  return { user: Number(f[11]) / USER_HZ, system: Number(f[12]) / USER_HZ };
}

/**
 * CPU seconds used by this process's children that have exited and been
 * waited for (cutime + cstime). Measured around one child's life, it is that
 * child's whole CPU, start-up included.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / USER_HZ;
}

/** A reading of the machine-wide CPU counters. */
export interface MachineSample {
  total: number;
  idle: number;
}

/** The machine's CPU counters now (first line of `/proc/stat`). */
export function machineSample(): MachineSample {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: cpu.reduce((s, x) => s + x, 0), idle: cpu[3]! + cpu[4]! };
}

/** How busy the machine was between two samples, in % of one core (so up to 100 × CORES). */
export function busyPercent(a: MachineSample, b: MachineSample): number {
  const total = b.total - a.total;
  return total > 0 ? (1 - (b.idle - a.idle) / total) * 100 * CORES : 0;
}

/** Resident memory of one process, KiB. */
export interface Memory {
  /** VmRSS: everything resident, counted once per mapping. */
  rssKiB: number;
  /** RssAnon: heap, stacks and other private memory. */
  anonKiB: number;
  /** RssFile: resident pages of mapped files (the LMDB or bbolt database, code). */
  fileKiB: number;
  /**
   * Pss: each resident page counted once, shared pages split between the
   * mappings that share them. A file mapped several times over (lmdb-js
   * keeps its earlier, smaller maps when the database grows) counts several
   * times in VmRSS but once here: this is the memory the process really holds.
   */
  pssKiB: number;
}

const kibField = (text: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);

/** The resident memory of process `pid`. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { rssKiB: kibField(status, 'VmRSS'), anonKiB: kibField(status, 'RssAnon'), fileKiB: kibField(status, 'RssFile'), pssKiB: kibField(rollup, 'Pss') };
}

/** Whether process `pid` exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    return statFields(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Waits until the machine has been idle for one second: busy at most
 * `maxBusyPct` (of 100 × CORES). Another test suite eating a core would
 * corrupt a run on this small, shared box. Returns false when it gave up
 * after `maxWaitS` seconds (the caller runs anyway and flags the run).
 */
export async function waitQuiet(maxBusyPct: number, maxWaitS: number, onWait: (busy: number) => void): Promise<boolean> {
  for (let waited = 0; waited < maxWaitS; waited++) {
    const a = machineSample();
    await sleep(1000);
    const busy = busyPercent(a, machineSample());
    if (busy <= maxBusyPct) return true;
    if (waited === 0 || waited % 30 === 0) onWait(busy);
  }
  return false;
}

/**
 * Waits until the processes `pids` together use at most `maxPct` % of one
 * core over one second (they have finished the work a run left behind:
 * followers applying, snapshots, log compaction), at most `maxWaitS`
 * seconds. Returns how long that took.
 */
export async function waitIdle(pids: readonly number[], maxPct: number, maxWaitS: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < maxWaitS; i++) {
    const a = pids.map(cpuSeconds);
    await sleep(1000);
    const used = pids.map(cpuSeconds).reduce((s, x, j) => s + x - a[j]!, 0);
    if (used * 100 <= maxPct) break;
  }
  return (performance.now() - t0) / 1000;
}
