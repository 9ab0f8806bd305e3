import { describe, expect, it } from 'vitest';
import { EntryList } from './entry-list.js';

/** The list from the head, as `+i` for invocations and `-i` for completions. */
function walk(list: EntryList): string[] {
  const events: string[] = [];
  for (let node = list.first(); list.operation(node) >= 0; node = list.after(node)) {
    events.push(`${list.isInvocation(node) ? '+' : '-'}${list.operation(node)}@${list.time(node)}`);
  }
  return events;
}

describe('EntryList', () => {
  it('orders events by time, invocations before completions at equal times', () => {
    const list = new EntryList([
      { invoke: 0, complete: 10 },
      { invoke: 5, complete: 7 },
      { invoke: 10, complete: 12 },
    ]);
    expect(walk(list)).toEqual(['+0@0', '+1@5', '-1@7', '+2@10', '-0@10', '-2@12']);
  });

  it('restores itself exactly when lifts are undone in reverse order', () => {
    const list = new EntryList([
      { invoke: 0, complete: 10 },
      { invoke: 1, complete: 4 },
      { invoke: 2, complete: 3 },
    ]);
    const original = walk(list);
    const first = list.first();
    list.lift(first);
    expect(walk(list)).toEqual(['+1@1', '+2@2', '-2@3', '-1@4']);
    const second = list.after(list.first());
    list.lift(second);
    expect(walk(list)).toEqual(['+1@1', '-1@4']);
    list.unlift(second);
    list.unlift(first);
    expect(walk(list)).toEqual(original);
  });
});
