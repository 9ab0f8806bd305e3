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
    const batch = new AppliedSessions(table);
    batch.firstTime({ member: 3, epoch: 1, seq: 5 });
    batch.firstTime({ member: 3, epoch: 1, seq: 6 });
    expect(table.size).toBe(0); // nothing written before the batch ends
    batch.flush();
    expect(new AppliedSessions(table).firstTime({ member: 3, epoch: 1, seq: 5 })).toBe(false);
    expect(new AppliedSessions(table).firstTime({ member: 3, epoch: 1, seq: 6 })).toBe(false);
    expect(new AppliedSessions(table).firstTime({ member: 3, epoch: 1, seq: 7 })).toBe(true);
    expect(table.size).toBe(1);
  });

  it('writes a session once per flush however many proposals of it the batch applied', () => {
    const table = new MemoryTable();
    let puts = 0;
    const put = table.put.bind(table);
    table.put = (k, v) => {
      puts++;
      put(k, v);
    };
    const batch = new AppliedSessions(table);
    for (let seq = 1; seq <= 100; seq++) expect(batch.firstTime({ member: 1, epoch: 1, seq })).toBe(true);
    expect(batch.firstTime({ member: 1, epoch: 1, seq: 100 })).toBe(false);
    batch.flush();
    batch.flush();
    expect(puts).toBe(1);
  });
});
