import type { Operation } from '../history.js';
import type { Model } from '../model.js';

/**
 * Linearizability by plain enumeration of every order, straight from the
 * definition, with no partitioning, pruning tricks or equivalences: the
 * reference the real checker is compared against on small histories.
 */
export function exhaustivelyLinearizable<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
): boolean {
  const ops = history.filter((op) => op.status !== 'failed');
  const deadline = (op: Operation<Input, Output>): number => (op.status === 'ok' ? op.complete : Number.POSITIVE_INFINITY);
  const dead = new Set<string>();

  const search = (placed: readonly boolean[], state: State): boolean => {
    if (ops.every((op, i) => placed[i] || op.status !== 'ok')) return true;
    const memo = `${placed.map(Number).join('')}|${String(model.stateKey(state))}`;
    if (dead.has(memo)) return false;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (placed[i]) continue;
      // It may go next unless a completed operation still to be placed finished before it began.
      const blocked = ops.some((other, j) => !placed[j] && j !== i && deadline(other) < op.invoke);
      if (blocked) continue;
      const result = model.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      if (!result.ok) continue;
      const next = [...placed];
      next[i] = true;
      if (search(next, result.state)) return true;
    }
    dead.add(memo);
    return false;
  };

  return search(
    ops.map(() => false),
    model.init(),
  );
}
