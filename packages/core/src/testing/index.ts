/**
 * Test helpers for code built on `@raftkit/core`: the {@link LogStorage}
 * conformance suite that every storage implementation should pass.
 *
 * @packageDocumentation
 */
export {
  type ConformanceStore,
  type LogStorageConformanceCase,
  logStorageConformanceCases,
} from './log-storage-conformance.js';
