/**
 * raftctl's account of a request a member refuses, and what its JSON
 * carries, against a real one-member cluster: an oversized put, a
 * compaction beyond the applied index, the response header of kv commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './support/cluster.js';
import { raftctl } from './support/raftctl.js';

describe('raftctl requests a member refuses or answers', () => {
  let c: TestCluster;
  let endpoint: string;
  const run = (args: string[], input?: string) => raftctl(['--endpoints', endpoint, ...args], input === undefined ? {} : { input });

  beforeAll(async () => {
    c = await TestCluster.create([1]);
    c.start(1);
    await c.waitForLeader();
    endpoint = c.member(1).client;
  });
  afterAll(async () => {
    await c?.close();
  });

  it('a put over --max-request-bytes says so, in one line, instead of blaming load', async () => {
    const r = await run(['kv', 'put', 'big'], 'x'.repeat(2 * 1024 * 1024));
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `Error: ${endpoint}: the request is too large (2.0 MiB). It exceeds the member's --max-request-bytes (1.5 MiB by default): send less, or raise the limit on every member.\n`,
    );
  });

  it('kv --json headers carry the cluster id, as etcdctl -w json does', async () => {
    const put = JSON.parse((await run(['kv', 'put', 'k', 'v', '--json'])).stdout) as { header: Record<string, number> };
    const members = JSON.parse((await run(['member', 'list', '--json'])).stdout) as { clusterId: number };
    expect(members.clusterId).toBeGreaterThan(0);
    expect(put.header).toEqual({ clusterId: members.clusterId, memberId: 1, revision: expect.any(Number), raftTerm: expect.any(Number) });
    const get = JSON.parse((await run(['kv', 'get', 'k', '--json'])).stdout) as { header: Record<string, number> };
    expect(get.header.clusterId).toBe(members.clusterId);
  });

  it('compact beyond the applied index explains what a member can discard', async () => {
    const r = await run(['compact', '--index', '999999']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('A member discards only log entries it has applied: leave out --index (all it has applied), or give at most its APPLIED index in raftctl status.');
    expect(r.stderr).toMatch(/cannot compact the log through 999999: only \d+ entries are applied on this member/);
  });
});
