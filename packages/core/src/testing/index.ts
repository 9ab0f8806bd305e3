/**
 * Test helpers for code built on `@raftkit/core`: the {@link LogStorage}
 * conformance suite every storage implementation should pass, a
 * deterministic virtual clock, and in-memory node storage.
 *
 * @packageDocumentation
 */
export {
  type ConformanceStore,
  type LogStorageConformanceCase,
  logStorageConformanceCases,
} from './log-storage-conformance.js';
export { VirtualClock, flushMicrotasks } from './virtual-clock.js';
export { MemoryNodeStorage } from './memory-node-storage.js';
