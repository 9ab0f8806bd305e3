import { mergeConfig } from 'vitest/config';
import { packageVitestConfig } from '../../vitest.shared.js';

// The end-to-end tests start real member processes and run raftctl as a
// process: give them time, and run test files one at a time so clusters do
// not compete for the two cores.
export default mergeConfig(packageVitestConfig(), {
  test: { testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false, globalSetup: ['test/support/global-setup.ts'] },
});
