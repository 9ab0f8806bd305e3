import { seededRandom } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import { kvModel } from './kv-model.js';
import { type KvHistory, ok, read, write } from './test-support/kv-history.js';
import { randomKvHistory } from './test-support/random-kv-history.js';

const busyKey = randomKvHistory(seededRandom(3), {
  clients: 4,
  operationsPerClient: 50,
  keys: 1,
  maxLatency: 10,
  maxThinkTime: 3,
  unknownRate: 0,
  failedRate: 0,
});

describe('the search bound', () => {
  it('turns a search that runs out of steps into a timeout, which is not a pass', () => {
    expect(checkLinearizability(kvModel, busyKey).ok).toBe(true);
    const result = checkLinearizability(kvModel, busyKey, { maxStepsPerKey: 20 });
    expect(result.ok).toBe(false);
    expect(result.outcome).toBe('timeout');
    if (result.outcome !== 'timeout') return;
    expect(result.undecidedKeys).toEqual(['k0']);
    expect(result.steps).toBe(20);
    expect(result.explanation).toBe(
      'Could not decide 1 of 1 keys within 20 search steps per key: "k0". No violation was found in the others.',
    );
  });

  it('turns a search that runs out of time into a timeout', () => {
    const result = checkLinearizability(kvModel, busyKey, { timeoutMs: 0 });
    expect(result.outcome).toBe('timeout');
  });

  it('still reports a violation in one key when another key runs out of steps', () => {
    const badKey: KvHistory = [ok('c1', 0, 1, write('other', 'a')), ok('c2', 2, 3, read('other', null))];
    const result = checkLinearizability(kvModel, [...busyKey, ...badKey], { maxStepsPerKey: 20 });
    expect(result.outcome).toBe('not-linearizable');
    if (result.outcome === 'not-linearizable') expect(result.key).toBe('other');
  });
});
