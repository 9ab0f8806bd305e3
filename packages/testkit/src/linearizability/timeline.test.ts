import { describe, expect, it } from 'vitest';
import { renderTimeline } from './timeline.js';

describe('renderTimeline', () => {
  it('draws overlapping intervals on an ordinal axis, open-ended for unknown outcomes', () => {
    const rows = renderTimeline([
      { lane: 'c1', invoke: 0, complete: 10, status: 'ok', label: '#0 write(x, "a")  [0, 10]' },
      { lane: 'c2', invoke: 10, complete: 30, status: 'ok', label: '#1 read(x) -> absent  [10, 30]' },
      { lane: 'c3', invoke: 5, complete: undefined, status: 'unknown', label: '#2 delete(x)  [5, ?)' },
      { lane: 'c4', invoke: 12, complete: 20, status: 'failed', label: '#3 write(x, "b")  [12, 20] failed' },
      { lane: 'c55', invoke: 30, complete: 30, status: 'ok', label: '#4 read(x) -> absent  [30, 30]' },
    ]);
    expect(rows).toEqual([
      'c1   [===]         #0 write(x, "a")  [0, 10]',
      'c2       [=====]   #1 read(x) -> absent  [10, 30]',
      'c3     [~~~~~~~~~> #2 delete(x)  [5, ?)',
      'c4         [.]     #3 write(x, "b")  [12, 20] failed',
      'c55            |   #4 read(x) -> absent  [30, 30]',
    ]);
  });

  it('shows the arrow of an unknown operation even when it is invoked last', () => {
    const rows = renderTimeline([
      { lane: 'c1', invoke: 0, complete: 7, status: 'ok', label: 'done' },
      { lane: 'c2', invoke: 7, complete: undefined, status: 'unknown', label: 'open' },
    ]);
    expect(rows).toEqual(['c1  [=]   done', 'c2    [~> open']);
  });

  it('draws nothing for no operations', () => {
    expect(renderTimeline([])).toEqual([]);
  });
});
