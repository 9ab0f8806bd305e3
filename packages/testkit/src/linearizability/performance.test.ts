import { seededRandom } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import { kvModel } from './kv-model.js';
import { randomKvHistory } from './test-support/random-kv-history.js';

describe('performance', () => {
  it('checks 5 clients x 2000 overlapping operations on one key in well under two seconds', () => {
    const history = randomKvHistory(seededRandom(11), {
      clients: 5,
      operationsPerClient: 2_000,
      keys: 1,
      maxLatency: 12,
      maxThinkTime: 4,
      unknownRate: 0.01,
      failedRate: 0.02,
    });
    const started = performance.now();
    const result = checkLinearizability(kvModel, history);
    const elapsed = performance.now() - started;
    expect(result.ok, result.ok ? '' : result.explanation).toBe(true);
    expect(elapsed).toBeLessThan(2_000);
  });
});
