import type { SimApplication } from './application.js';
import type { BreakableRule } from './break-rules.js';
import type { NetworkConditions } from './network.js';

/** The kinds of fault a run can inject. */
export type FaultKind =
  | 'delay'
  | 'loss'
  | 'duplicate'
  | 'partition'
  | 'crash'
  | 'slow-disk'
  | 'membership'
  | 'snapshot'
  | 'transfer'
  | 'skew'
  | 'leader-churn';

/** Every fault kind. */
export const ALL_FAULTS: readonly FaultKind[] = [
  'delay',
  'loss',
  'duplicate',
  'partition',
  'crash',
  'slow-disk',
  'membership',
  'snapshot',
  'transfer',
  'skew',
  'leader-churn',
];

/** Raft settings a run may override. */
export interface SimRaftOverrides {
  /** Byte limit of the entries in one append message (one entry is always sent). Default: 1 or 4096, chosen by the seed. */
  maxSizePerMsg?: number;
  /** Most append messages in flight to one follower. Default 16. */
  maxInflightMsgs?: number;
  /** Whether members run a pre-election before campaigning. Default true, as in the core. */
  preVote?: boolean;
  /** Whether a leader steps down when it has not heard from a quorum within an election timeout. Default true, as in the core. */
  checkQuorum?: boolean;
}

/** Settings of one simulated run. Everything random derives from `seed`. */
export interface SimulationOptions<I, O, D> {
  /** Every random choice of the run derives from it: the same seed with the same options replays the same run. */
  seed: number;
  /** Founding voters. Default: 3 or 5, chosen by the seed. */
  members?: number;
  /** Fault kinds to schedule. Default: all. */
  faults?: readonly FaultKind[];
  /** Virtual duration of the fault and workload phase. Default 3000 ms. */
  durationMs?: number;
  /** Concurrent clients. Default 4. */
  clients?: number;
  /** The replicated application. Default: {@link kvApplication}. */
  app?: SimApplication<I, O, D>;
  /** Length of a tick. Default 10 ms (election timeout 100-200 ms, heartbeat 20 ms). */
  tickMs?: number;
  /** Bound for the cluster to serve requests again once faults stop. Default 5000 ms. */
  livenessMs?: number;
  /** Break a Raft rule on purpose, to show the checks catch it (testing the tester). */
  breakRule?: BreakableRule;
  /** Mean virtual time between injected faults. Default 250 ms. */
  faultEveryMs?: number;
  /** Network conditions to force (otherwise drawn from the seed within the enabled fault kinds). */
  network?: Partial<NetworkConditions>;
  /** Raft settings to override (message size, inflight window...). */
  raft?: SimRaftOverrides;
  /** Record a readable trace; `'messages'` includes every delivered message. */
  trace?: boolean | 'messages';
}

/** The defaults of the numeric options; the replay command names only values that differ. */
export const SIM_DEFAULTS = {
  durationMs: 3000,
  clients: 4,
  tickMs: 10,
  livenessMs: 5000,
  faultEveryMs: 250,
} as const;

/** Options with every default filled in (what a run actually uses). */
export type ResolvedSimulationOptions<I, O, D> = Required<Omit<SimulationOptions<I, O, D>, 'app' | 'breakRule' | 'trace' | 'raft' | 'network'>> &
  Pick<SimulationOptions<I, O, D>, 'breakRule' | 'trace' | 'raft' | 'network'>;
