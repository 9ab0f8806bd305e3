import type { ClientId, Operation } from '../history.js';
import type { KvInput, KvOutput } from '../kv-model.js';

/** A key-value operation history, as the checker takes it. */
export type KvHistory = Operation<KvInput, KvOutput>[];

/** A request and the answer a client would see, before it is given an interval. */
export interface KvCall {
  readonly input: KvInput;
  readonly output: KvOutput;
}

/** A read of `key` that saw `value` (`null`: absent). */
export function read(key: string, value: string | null): KvCall {
  return { input: { op: 'read', key }, output: value };
}

/** A write of `value` to `key`. */
export function write(key: string, value: string): KvCall {
  return { input: { op: 'write', key, value }, output: null };
}

/** A compare-and-set of `key` from `expected` to `value` that did (`swapped`) or did not swap. */
export function cas(key: string, expected: string | null, value: string, swapped: boolean): KvCall {
  return { input: { op: 'cas', key, expected, value }, output: swapped };
}

/** A delete of `key`. */
export function del(key: string): KvCall {
  return { input: { op: 'delete', key }, output: null };
}

/** `call` took effect between `invoke` and `complete`, and its client saw the output. */
export function ok(client: ClientId, invoke: number, complete: number, call: KvCall): Operation<KvInput, KvOutput> {
  return { client, invoke, complete, status: 'ok', input: call.input, output: call.output };
}

/** `call` was invoked at `invoke` and definitely did not take effect; its output is ignored. */
export function failed(client: ClientId, invoke: number, complete: number, call: KvCall): Operation<KvInput, KvOutput> {
  return { client, invoke, complete, status: 'failed', input: call.input };
}

/** `call` was invoked at `invoke` and its client never learned the outcome; its output is ignored. */
export function unknown(client: ClientId, invoke: number, call: KvCall): Operation<KvInput, KvOutput> {
  return { client, invoke, status: 'unknown', input: call.input };
}
