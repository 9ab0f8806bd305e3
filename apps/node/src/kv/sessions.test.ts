import { describe, expect, it } from 'vitest';
import { AppliedSessions } from './sessions.js';
import { MemoryTable } from './table.js';

describe('AppliedSessions', () => {
  it('applies every proposal once, in order or overtaken, across sessions', () => {
    const s = new AppliedSessions(new MemoryTable());
    const id = (seq: number, member = 1, epoch = 7) => ({ member, epoch, seq });
    expect(s.firstTime(id(1))).toBe(true);
    expect(s.firstTime(id(3))).toBe(true);
    expect(s.firstTime(id(2))).toBe(true); // overtaken, still first
    expect(s.firstTime(id(2))).toBe(false);
    expect(s.firstTime(id(3))).toBe(false);
    expect(s.firstTime(id(1))).toBe(false);
    expect(s.firstTime(id(1, 2))).toBe(true); // another member
    expect(s.firstTime(id(1, 1, 8))).toBe(true); // another epoch
    expect(s.firstTime(id(200))).toBe(true);
    expect(s.firstTime(id(150))).toBe(true);
    expect(s.firstTime(id(100))).toBe(false); // beyond the window: never applied twice
  });

  it('keeps its state in the table (so it survives restarts and travels in snapshots)', () => {
    const table = new MemoryTable();
    new AppliedSessions(table).firstTime({ member: 3, epoch: 1, seq: 5 });
    expect(new AppliedSessions(table).firstTime({ member: 3, epoch: 1, seq: 5 })).toBe(false);
    expect(table.size).toBe(1);
  });
});
