import { type Entry, EntryType } from '@raftkit/core';
import { describe, expect, it } from 'vitest';
import { RecentEntries } from './recent-entries.js';

const entry = (index: number, term = 1, bytes = 10): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(bytes) });
const run = (from: number, to: number, term = 1, bytes = 10): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term, bytes));

describe('RecentEntries', () => {
  it('serves the entries appended, and nothing outside them', () => {
    const r = new RecentEntries({ maxEntries: 100, maxBytes: 1 << 20 });
    expect(r.get(1)).toBeUndefined();
    r.append(run(5, 9));
    expect(r.get(4)).toBeUndefined();
    expect(r.get(5)?.index).toBe(5);
    expect(r.get(9)?.index).toBe(9);
    expect(r.get(10)).toBeUndefined();
    r.append(run(10, 12));
    expect(r.size).toBe(8);
  });

  it('drops overwritten entries: a truncation, or an append that overlaps the tail', () => {
    const r = new RecentEntries({ maxEntries: 100, maxBytes: 1 << 20 });
    r.append(run(1, 10, 1));
    r.append(run(6, 7, 2));
    expect(r.get(5)?.term).toBe(1);
    expect(r.get(6)?.term).toBe(2);
    expect(r.get(7)?.term).toBe(2);
    expect(r.get(8)).toBeUndefined();
    r.truncateFrom(7);
    expect(r.get(7)).toBeUndefined();
    expect(r.size).toBe(6);
  });

  it('starts over when appended entries do not follow the kept run', () => {
    const r = new RecentEntries({ maxEntries: 100, maxBytes: 1 << 20 });
    r.append(run(1, 5));
    r.append(run(20, 21));
    expect(r.get(3)).toBeUndefined();
    expect(r.get(20)?.index).toBe(20);
    expect(r.size).toBe(2);
  });

  it('keeps at most maxEntries and maxBytes, evicting the oldest', () => {
    const byCount = new RecentEntries({ maxEntries: 50, maxBytes: 1 << 20 });
    for (let i = 1; i <= 5000; i += 10) byCount.append(run(i, i + 9));
    expect(byCount.size).toBe(50);
    expect(byCount.get(4950)).toBeUndefined();
    expect(byCount.get(4951)?.index).toBe(4951);
    expect(byCount.get(5000)?.index).toBe(5000);

    const byBytes = new RecentEntries({ maxEntries: 1000, maxBytes: 1000 });
    byBytes.append(run(1, 30, 1, 100));
    expect(byBytes.size).toBe(10);
    expect(byBytes.get(21)?.index).toBe(21);
    // One entry larger than the budget is still kept: the newest is always served.
    byBytes.append([entry(31, 1, 5000)]);
    expect(byBytes.size).toBe(1);
    expect(byBytes.get(31)?.index).toBe(31);
  });

  it('forgets everything on clear (a snapshot replaced the log)', () => {
    const r = new RecentEntries();
    r.append(run(1, 3));
    r.clear();
    expect(r.size).toBe(0);
    expect(r.get(2)).toBeUndefined();
    r.append(run(100, 101));
    expect(r.get(100)?.index).toBe(100);
  });
});
