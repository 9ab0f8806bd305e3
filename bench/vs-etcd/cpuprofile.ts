/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and says where the
 * main thread's time went within a time window: self time per function (with
 * raftkit's compiled code mapped back to its TypeScript source through the
 * `.js.map` files next to it), inclusive time of raftkit's own functions, and
 * self time per package or area (grpc-js, lmdb-js, @raftkit/core, Node's
 * http2, garbage collection...).
 *
 * Sample timestamps are microseconds of the monotonic clock, the clock of
 * `process.hrtime()` in any process on the machine, so the window of a kvload
 * run measured by the runner selects exactly that run's samples.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of the `.cpuprofile` format used here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Time spent in one function (or one area). */
export interface TimeShare {
  name: string;
  /** Where it is: source file:line, package, or Node internal module. */
  location: string;
  category: string;
  ms: number;
  /** Share of the main thread's busy (non-idle) time. */
  pct: number;
  /**
   * For self time: the raftkit function nearest above it on the stack that
   * accounts for most of it (who to blame for a Buffer allocation or an
   * lmdb-js commit), and that caller's share of this function's self time.
   */
  under?: { name: string; location: string; pct: number };
}

/** Where a window's time went. */
export interface ProfileSummary {
  windowMs: number;
  /** Time covered by samples in the window, idle included. */
  sampledMs: number;
  /**
   * Non-idle main-thread time: the denominator of every percentage. It is
   * wall time, not CPU time: a synchronous call blocked in the kernel (an
   * fdatasync inside an LMDB commit) counts as busy.
   */
  busyMs: number;
  categories: TimeShare[];
  topSelf: TimeShare[];
  /** Inclusive time of raftkit's own functions (packages/*, apps/*). */
  topRaftkitInclusive: TimeShare[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Maps compiled raftkit code back to TypeScript, caching one source map per file. */
class SourceLocator {
  private readonly maps = new Map<string, SourceMap | undefined>();
  constructor(private readonly repoRoot: string) {}

  /** `file:line` (1-based) of a call frame, relative to the repository when inside it. */
  locate(url: string, line: number, column: number): string {
    if (!url.startsWith('file://')) return url ? `${url}:${line + 1}` : '(native)';
    const file = fileURLToPath(url);
    const nm = file.lastIndexOf('/node_modules/');
    if (nm >= 0) return `${file.slice(nm + '/node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '')}:${line + 1}`;
    const map = this.mapFor(file);
    const entry = map?.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      return `${relative(this.repoRoot, src)}:${entry.originalLine + 1}`;
    }
    return `${relative(this.repoRoot, file)}:${line + 1}`;
  }

  private mapFor(file: string): SourceMap | undefined {
    if (!this.maps.has(file)) {
      const path = `${file}.map`;
      let map: SourceMap | undefined;
      try {
        if (existsSync(path)) map = new SourceMap(JSON.parse(readFileSync(path, 'utf8')));
      } catch {
        map = undefined;
      }
      this.maps.set(file, map);
    }
    return this.maps.get(file);
  }
}

/** The area a call frame belongs to. */
export function categoryOf(functionName: string, url: string, repoRoot: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return '(program): native, not attributed to JS';
  if (functionName === '(idle)') return 'idle';
  if (url.startsWith('file://')) {
    const file = fileURLToPath(url);
    const nm = file.lastIndexOf('/node_modules/');
    if (nm >= 0) {
      const parts = file.slice(nm + '/node_modules/'.length).split('/');
      return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    }
    const rel = relative(repoRoot, file);
    const m = /^(packages|apps)\/([^/]+)\//.exec(rel);
    if (m) return m[1] === 'apps' ? `apps/${m[2]}` : `@raftkit/${m[2]}`;
    return rel;
  }
  if (url.startsWith('node:')) {
    if (/http2/.test(url)) return 'node: http2';
    if (/stream|net|socket|buffer/.test(url)) return 'node: net, streams, buffers';
    if (/timers|task_queues|promises|async_hooks|process\//.test(url)) return 'node: timers, microtasks';
    return 'node: other';
  }
  return 'native builtins (V8, C++ bindings)';
}

/**
 * Summarizes the samples of `profile` taken between `fromUs` and `toUs`
 * (monotonic µs). `top` is the number of functions listed.
 */
export function summarizeProfile(profile: CpuProfile, fromUs: number, toUs: number, repoRoot: string, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const locator = new SourceLocator(repoRoot);
  const keyOf = (id: number): string => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
  };
  // Distinct raftkit functions on the stack of each node, computed once per node.
  const raftkitStack = new Map<number, string[]>();
  const isRaftkit = (url: string): boolean => url.startsWith('file://') && !url.includes('/node_modules/') && fileURLToPath(url).startsWith(repoRoot);
  const stackOf = (id: number): string[] => {
    let keys = raftkitStack.get(id);
    if (!keys) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        if (isRaftkit(byId.get(cur)!.callFrame.url)) seen.add(keyOf(cur));
      }
      keys = [...seen];
      raftkitStack.set(id, keys);
    }
    return keys;
  };

  // The nearest raftkit frame strictly above each node, computed once per node.
  const callerMemo = new Map<number, string | null>();
  const raftkitAbove = (id: number): string | null => {
    let found = callerMemo.get(id);
    if (found === undefined) {
      found = null;
      for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
        if (isRaftkit(byId.get(cur)!.callFrame.url)) {
          found = keyOf(cur);
          break;
        }
      }
      callerMemo.set(id, found);
    }
    return found;
  };
  const callers = new Map<string, Map<string, number>>();

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let sampledUs = 0;
  let idleUs = 0;
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => (t += d));
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i]!;
    if (at < fromUs || at > toUs) continue;
    // A sample stands for the time until the next one.
    const us = i + 1 < times.length ? times[i + 1]! - at : 0;
    const id = profile.samples[i]!;
    sampledUs += us;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const k = keyOf(id);
    self.set(k, (self.get(k) ?? 0) + us);
    const caller = raftkitAbove(id);
    if (caller) {
      const c = callers.get(k) ?? new Map<string, number>();
      c.set(caller, (c.get(caller) ?? 0) + us);
      callers.set(k, c);
    }
    for (const key of stackOf(id)) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
  const busyUs = sampledUs - idleUs;
  const share = (name: string, location: string, category: string, us: number): TimeShare => ({
    name,
    location,
    category,
    ms: Math.round(us / 100) / 10,
    pct: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0,
  });
  const nameAndPlace = (key: string): { name: string; location: string; functionName: string; url: string } => {
    const [functionName, url, line, column] = key.split('\u0000') as [string, string, string, string];
    return { name: functionName || '(anonymous)', location: SPECIAL.has(functionName) ? '' : locator.locate(url, Number(line), Number(column)), functionName, url };
  };
  const describe = (key: string, us: number): TimeShare => {
    const { name, location, functionName, url } = nameAndPlace(key);
    return share(name, location, categoryOf(functionName, url, repoRoot), us);
  };
  const withCaller = (key: string, us: number): TimeShare => {
    const t = describe(key, us);
    const top = [...(callers.get(key) ?? [])].sort((a, b) => b[1] - a[1])[0];
    if (top) {
      const c = nameAndPlace(top[0]);
      t.under = { name: c.name, location: c.location, pct: Math.round((top[1] / us) * 100) };
    }
    return t;
  };

  const categories = new Map<string, number>();
  for (const [key, us] of self) {
    const [functionName, url] = key.split('\u0000') as [string, string];
    const c = categoryOf(functionName, url, repoRoot);
    categories.set(c, (categories.get(c) ?? 0) + us);
  }
  const desc = <T>(xs: Array<[T, number]>): Array<[T, number]> => xs.sort((a, b) => b[1] - a[1]);
  return {
    windowMs: (toUs - fromUs) / 1000,
    sampledMs: sampledUs / 1000,
    busyMs: busyUs / 1000,
    categories: desc([...categories]).map(([c, us]) => share(c, '', c, us)),
    topSelf: desc([...self]).slice(0, top).map(([k, us]) => withCaller(k, us)),
    topRaftkitInclusive: desc([...inclusive]).slice(0, top).map(([k, us]) => describe(k, us)),
  };
}
