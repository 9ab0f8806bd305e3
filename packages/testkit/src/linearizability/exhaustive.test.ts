import { type RandomSource, randomInt, seededRandom } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from './check.js';
import type { Operation } from './history.js';
import { type KvInput, type KvOutput, kvModel } from './kv-model.js';
import type { Model } from './model.js';
import { exhaustivelyLinearizable } from './test-support/exhaustive-check.js';
import type { KvHistory } from './test-support/kv-history.js';

/** Values reads and swaps can observe; writes also use others, which only the unobserved-value equivalence can merge. */
const OBSERVED = ['a', 'b'];
const WRITTEN = ['a', 'b', 'c', 'd'];

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[randomInt(random, 0, items.length)]!;
}

/** A small history with arbitrary outputs on one key: about half of them are not linearizable. */
function arbitraryHistory(random: RandomSource): KvHistory {
  const length = randomInt(random, 2, 8);
  return Array.from({ length }, (_, i): Operation<KvInput, KvOutput> => {
    const invoke = randomInt(random, 0, 10);
    // Short integer intervals make equal timestamps common, which exercises the tie rule.
    const complete = invoke + randomInt(random, 0, 5);
    const base = { client: `c${i}`, invoke };
    const kind = randomInt(random, 0, 4);
    const input: KvInput =
      kind === 0
        ? { op: 'read', key: 'x' }
        : kind === 1
          ? { op: 'write', key: 'x', value: pick(random, WRITTEN) }
          : kind === 2
            ? { op: 'cas', key: 'x', expected: pick(random, [null, ...OBSERVED]), value: pick(random, WRITTEN) }
            : { op: 'delete', key: 'x' };
    const output: KvOutput = input.op === 'read' ? pick(random, [null, ...OBSERVED]) : input.op === 'cas' ? random() < 0.5 : null;
    const roll = random();
    if (roll < 0.25) return { ...base, status: 'unknown', input };
    if (roll < 0.35) return { ...base, status: 'failed', complete, input };
    return { ...base, status: 'ok', complete, input, output };
  });
}

/** The register semantics alone, without the equivalences the real model adds. */
const plainRegister: Model<string | null, KvInput, KvOutput> = {
  init: kvModel.init,
  step: kvModel.step,
  stateKey: kvModel.stateKey,
};

describe('the checker, against exhaustive enumeration on small random histories', () => {
  it('gives the same verdict, with and without the model equivalences', () => {
    const random = seededRandom(2024);
    const disagreements: string[] = [];
    let linearizable = 0;
    const histories = 500;
    for (let i = 0; i < histories; i++) {
      const history = arbitraryHistory(random);
      const expected = exhaustivelyLinearizable(plainRegister, history);
      if (expected) linearizable++;
      for (const [name, model] of [
        ['kvModel', kvModel],
        ['plain register', plainRegister],
      ] as const) {
        const result = checkLinearizability(model, history);
        if (result.outcome === 'timeout' || result.ok !== expected) {
          disagreements.push(`${name}, history ${i}: expected ${expected}, got ${result.outcome}\n${JSON.stringify(history)}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // Both verdicts must be well represented, or the comparison proves little.
    expect(linearizable).toBeGreaterThan(histories / 5);
    expect(linearizable).toBeLessThan((histories * 4) / 5);
  });
});
