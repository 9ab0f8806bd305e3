/**
 * @raftkit/testkit — tools for testing Raft clusters: a deterministic
 * simulator with fault schedules, and a linearizability checker for client
 * histories.
 *
 * @packageDocumentation
 */
export * from './linearizability/index.js';
export {
  Simulation,
  runSimulation,
  replayCommand,
  ALL_FAULTS,
  type FaultKind,
  type SimulationOptions,
  type SimulationResult,
  type SimulationStats,
} from './sim/simulation.js';
export type { SimApplication, SimStateMachine } from './sim/application.js';
export { kvApplication, KvStateMachine, type KvDisk, type KvWorkloadOptions } from './sim/kv-application.js';
export { SimNetwork, PERFECT_NETWORK, LATE_MS, MAX_TAIL_DELAY_MS, type NetworkConditions, type NetworkStats } from './sim/network.js';
export { InvariantChecker, InvariantViolation, type ObservedMember } from './sim/invariants.js';
export { type CommitDecision, type DurableLogOf } from './sim/commit-quorum.js';
export { type LogView } from './sim/log-matching.js';
export { observeCore, type CoreObserver } from './sim/core-observer.js';
export { type BreakableRule, BREAKABLE_RULES } from './sim/break-rules.js';
export { Rng } from './sim/rng.js';
export { SkewedClock } from './sim/skewed-clock.js';
