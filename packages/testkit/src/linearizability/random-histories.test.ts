import { seededRandom } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import { kvModel } from './kv-model.js';
import type { KvHistory } from './test-support/kv-history.js';
import { type RandomKvHistoryOptions, randomKvHistory } from './test-support/random-kv-history.js';

const SEEDS = 60;
const shape: RandomKvHistoryOptions = {
  clients: 4,
  operationsPerClient: 40,
  keys: 3,
  maxLatency: 12,
  maxThinkTime: 4,
  unknownRate: 0.08,
  failedRate: 0.05,
};

/** Replaces the output of one completed read, chosen by `pick`, with a value nobody wrote. */
function corruptOneRead(history: KvHistory, pick: number): { history: KvHistory; key: string } {
  const reads = history.flatMap((op, index) => (op.status === 'ok' && op.input.op === 'read' ? [index] : []));
  const target = reads[pick % reads.length]!;
  const op = history[target]!;
  const corrupted = history.map((entry, index) => (index === target && entry.status === 'ok' ? { ...entry, output: 'never written' } : entry));
  return { history: corrupted, key: op.input.key };
}

describe('histories recorded from real sequential executions', () => {
  it('are always linearizable', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const history = randomKvHistory(seededRandom(seed), shape);
      const result = checkLinearizability(kvModel, history);
      expect(result.ok, `seed ${seed}: ${result.ok ? '' : result.explanation}`).toBe(true);
    }
  });

  it('are rejected, at the right key, once one read returns a value never written', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seededRandom(seed);
      const { history, key } = corruptOneRead(randomKvHistory(random, shape), seed * 7919);
      const result = checkLinearizability(kvModel, history);
      expect(result.outcome, `seed ${seed}`).toBe('not-linearizable');
      if (result.outcome === 'not-linearizable') expect(result.key).toBe(key);
    }
  });

  it('stay linearizable with heavy overlap and many unknown outcomes', () => {
    const crowded = { ...shape, clients: 8, operationsPerClient: 25, keys: 1, maxLatency: 40, unknownRate: 0.2 };
    for (let seed = 1; seed <= 20; seed++) {
      const result = checkLinearizability(kvModel, randomKvHistory(seededRandom(seed), crowded));
      expect(result.ok, `seed ${seed}: ${result.ok ? '' : result.explanation}`).toBe(true);
    }
  });
});
