import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress, ProgressState } from './progress.js';

describe('Inflights', () => {
  it('fills up by count, frees in order, and wraps around its ring', () => {
    const inf = new Inflights(4, Number.POSITIVE_INFINITY);
    for (let i = 1; i <= 4; i++) inf.add(i * 10, 1);
    expect(inf.full()).toBe(true);
    expect(() => inf.add(50, 1)).toThrow(/full/);
    inf.freeLE(20);
    expect(inf.count).toBe(2);
    inf.add(50, 1);
    inf.add(60, 1);
    expect(inf.full()).toBe(true);
    inf.freeLE(55);
    expect(inf.count).toBe(1);
    inf.freeLE(100);
    expect(inf.count).toBe(0);
    expect(inf.bytes).toBe(0);
  });

  it('fills up by bytes', () => {
    const inf = new Inflights(100, 1000);
    inf.add(1, 600);
    expect(inf.full()).toBe(false);
    inf.add(2, 400);
    expect(inf.full()).toBe(true);
    inf.freeLE(1);
    expect(inf.bytes).toBe(400);
    expect(inf.full()).toBe(false);
  });

  it('ignores frees below its first index and clones independently', () => {
    const inf = new Inflights(3, 10_000);
    inf.add(5, 1);
    inf.freeLE(4);
    expect(inf.count).toBe(1);
    const copy = inf.clone();
    inf.reset();
    expect(inf.count).toBe(0);
    expect(copy.count).toBe(1);
  });
});

describe('Progress', () => {
  it('pauses a probing follower after one append and resumes on update', () => {
    const pr = new Progress(10, 1 << 20);
    pr.next = 5;
    pr.sentEntries(2, 100);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(6)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    expect(pr.maybeUpdate(6)).toBe(false);
  });

  it('pipelines in replicate state until the window is full', () => {
    const pr = new Progress(2, 1 << 20);
    pr.match = 3;
    pr.becomeReplicate();
    pr.sentEntries(2, 10);
    expect(pr.next).toBe(6);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true);
  });

  it('decreases next on a rejection only when it is not stale', () => {
    const pr = new Progress(10, 1 << 20);
    pr.match = 5;
    pr.becomeReplicate();
    pr.next = 10;
    expect(pr.maybeDecrTo(4, 4)).toBe(false); // already matched beyond it
    expect(pr.maybeDecrTo(9, 7)).toBe(true);
    expect(pr.next).toBe(6);
    const probe = new Progress(10, 1 << 20);
    probe.next = 10;
    expect(probe.maybeDecrTo(5, 3)).toBe(false); // not the outstanding probe
    expect(probe.maybeDecrTo(9, 3)).toBe(true);
    expect(probe.next).toBe(4);
  });

  it('leaves snapshot state by probing after the snapshot index', () => {
    const pr = new Progress(10, 1 << 20);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    expect(pr.state).toBe(ProgressState.Snapshot);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
    expect(pr.toString()).toContain('state=probe');
  });
});
