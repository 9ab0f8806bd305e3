import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('core demo', () => {
  it('elects a leader and commits the entries on every member', async () => {
    const lines: string[] = [];
    const r = await runDemo({ tickMs: 1, entries: ['a', 'b'], log: (l) => lines.push(l) });
    expect(r.committed).toEqual(['a', 'b']);
    expect([1, 2, 3]).toContain(r.leader);
    expect(lines.filter((l) => l.includes('applied'))).toHaveLength(6);
  });
});
