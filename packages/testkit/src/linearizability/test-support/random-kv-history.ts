import { type RandomSource, randomInt } from '@raftkit/core';
import type { KvInput, KvOutput } from '../kv-model.js';
import type { KvHistory } from './kv-history.js';

/** The shape of a generated history. */
export interface RandomKvHistoryOptions {
  readonly clients: number;
  readonly operationsPerClient: number;
  readonly keys: number;
  /** Longest time an operation takes; longer means more concurrency. */
  readonly maxLatency: number;
  /** Longest pause between one client's operations. */
  readonly maxThinkTime: number;
  /** Chance that a client never learns the outcome. */
  readonly unknownRate: number;
  /** Chance that an operation is rejected without taking effect. */
  readonly failedRate: number;
}

type Kind = KvInput['op'];

interface Planned {
  readonly client: number;
  readonly sequence: number;
  readonly key: string;
  readonly kind: Kind;
  readonly invoke: number;
  readonly complete: number;
  readonly status: 'ok' | 'unknown' | 'failed';
  /** When the operation takes effect in the real execution; undefined if it never does. */
  readonly effectAt: number | undefined;
}

function pickKind(random: RandomSource): Kind {
  const r = random();
  if (r < 0.4) return 'read';
  if (r < 0.7) return 'write';
  if (r < 0.9) return 'cas';
  return 'delete';
}

function plan(random: RandomSource, options: RandomKvHistoryOptions): Planned[] {
  const planned: Planned[] = [];
  for (let client = 0; client < options.clients; client++) {
    let time = randomInt(random, 0, options.maxThinkTime + 1);
    for (let sequence = 0; sequence < options.operationsPerClient; sequence++) {
      const invoke = time;
      const complete = invoke + randomInt(random, 1, options.maxLatency + 1);
      const roll = random();
      const status = roll < options.unknownRate ? 'unknown' : roll < options.unknownRate + options.failedRate ? 'failed' : 'ok';
      let effectAt: number | undefined;
      if (status === 'ok') effectAt = invoke + random() * (complete - invoke);
      // An unknown operation may take effect long after its client gave up, or never.
      else if (status === 'unknown' && random() < 0.5) effectAt = invoke + random() * (complete - invoke) * 4;
      const key = `k${randomInt(random, 0, options.keys)}`;
      planned.push({ client, sequence, key, kind: pickKind(random), invoke, complete, status, effectAt });
      time = complete + randomInt(random, 0, options.maxThinkTime + 1);
    }
  }
  return planned;
}

/**
 * A history recorded from a real sequential execution: every operation
 * takes effect at a random instant inside its interval (unknown ones
 * possibly later, or never; failed ones never), and outputs are what a
 * single register per key returns in that order. It is linearizable by
 * construction. Written values are unique (`client.sequence`).
 */
export function randomKvHistory(random: RandomSource, options: RandomKvHistoryOptions): KvHistory {
  const planned = plan(random, options);
  const values = new Map<string, string | null>();
  const written: string[] = [];
  const inEffectOrder = planned
    .map((op, order) => ({ op, order }))
    .sort((a, b) => (a.op.effectAt ?? Number.POSITIVE_INFINITY) - (b.op.effectAt ?? Number.POSITIVE_INFINITY) || a.order - b.order);
  const history: KvHistory = [];
  for (const { op } of inEffectOrder) {
    const current = values.get(op.key) ?? null;
    const value = `${op.client}.${op.sequence}`;
    let input: KvInput;
    let output: KvOutput = null;
    switch (op.kind) {
      case 'read':
        input = { op: 'read', key: op.key };
        output = current;
        break;
      case 'write':
        input = { op: 'write', key: op.key, value };
        break;
      case 'cas': {
        // Half the time expect the current value, so that swaps happen.
        const other = written.length > 0 && random() < 0.7 ? written[randomInt(random, 0, written.length)]! : null;
        const expected = random() < 0.5 ? current : other;
        input = { op: 'cas', key: op.key, expected, value };
        output = expected === current;
        break;
      }
      case 'delete':
        input = { op: 'delete', key: op.key };
        break;
    }
    if (op.effectAt !== undefined) {
      if (input.op === 'write') values.set(op.key, input.value);
      else if (input.op === 'delete') values.set(op.key, null);
      else if (input.op === 'cas' && output === true) values.set(op.key, input.value);
      if (input.op === 'write' || (input.op === 'cas' && output === true)) written.push(value);
    }
    const base = { client: `c${op.client}`, invoke: op.invoke, input };
    if (op.status === 'ok') history.push({ ...base, status: 'ok', complete: op.complete, output });
    else if (op.status === 'failed') history.push({ ...base, status: 'failed', complete: op.complete });
    else history.push({ ...base, status: 'unknown', complete: op.complete });
  }
  return history.sort((a, b) => a.invoke - b.invoke);
}
