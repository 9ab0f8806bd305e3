/**
 * The workloads of issue 7, item 10: the standard matrix a-f of
 * `../shared/bench/run-matrix.mjs`, with the same kvload arguments as the
 * etcd reference figures in RESULTS-etcd.md (key space 10,000, 256-byte
 * values, conns = min(clients, 8), puts to the leader, gets spread over all
 * members), and the ratio each must reach against etcd.
 */

/** kvload arguments every scenario shares (run-matrix.mjs's `common`). */
export const COMMON_ARGS = ['--key-space', '10000', '--val-size', '256'];

/** One workload. */
export interface Scenario {
  /** The letter run-matrix.mjs and RESULTS-etcd.md use. */
  id: string;
  label: string;
  /** Whether it writes (the CPU-per-write target applies). */
  writes: boolean;
  /** kvload arguments, after COMMON_ARGS. */
  args: string[];
  /** raftkit ops/s ÷ etcd ops/s it must reach. */
  targetRatio: number;
}

/** The matrix, in run-matrix.mjs's order. */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'a', label: 'put, 1 client', writes: true, targetRatio: 1.3, args: ['--op', 'put', '--clients', '1', '--conns', '1', '--total', '2000'] },
  { id: 'b', label: 'put, 16 clients', writes: true, targetRatio: 1.5, args: ['--op', 'put', '--clients', '16', '--conns', '8', '--total', '10000'] },
  { id: 'c', label: 'put, 64 clients', writes: true, targetRatio: 1.5, args: ['--op', 'put', '--clients', '64', '--conns', '8', '--total', '20000'] },
  { id: 'd', label: 'put, 256 clients', writes: true, targetRatio: 1.5, args: ['--op', 'put', '--clients', '256', '--conns', '8', '--total', '40000'] },
  { id: 'e', label: 'get linearizable, 64 clients', writes: false, targetRatio: 1.0, args: ['--op', 'get', '--clients', '64', '--conns', '8', '--total', '50000'] },
  { id: 'f', label: 'get serializable, 64 clients', writes: false, targetRatio: 1.0, args: ['--op', 'get', '--serializable', '--clients', '64', '--conns', '8', '--total', '50000'] },
];

/** kvload arguments of the untimed prefill run-matrix.mjs does first, so gets hit existing keys. */
export const PREFILL_ARGS = ['--op', 'put', '--clients', '64', '--conns', '8', '--total', '0', '--prefill'];

/** The scenarios named in `only` (letters), all when empty. */
export function selectScenarios(only: string[]): Scenario[] {
  if (only.length === 0) return [...SCENARIOS];
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return SCENARIOS.filter((s) => only.includes(s.id));
}

/** A scenario by letter. */
export function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown scenario ${id}`);
  return s;
}
