import { describe, expect, it } from 'vitest';
import { TestCluster } from './test-support/cluster.js';

describe('smoke', () => {
  it('elects and replicates', () => {
    const c = new TestCluster([1, 2, 3]);
    c.elect(1);
    expect(c.leader()).toBe(1);
    c.propose(1, 'a');
    c.propose(2, 'b');
    c.tickAll(3);
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual(['a', 'b']);
  });
});
