import { mergeConfig } from 'vitest/config';
import { packageVitestConfig } from '../../vitest.shared.js';

// These tests share no global state, so the files run in one worker process
// each instead of a fresh process per file; starting processes was most of
// the suite's time on a busy two-core machine.
export default mergeConfig(packageVitestConfig(), { test: { isolate: false } });
