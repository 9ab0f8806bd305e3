/**
 * raftctl against a member that requires TLS with client certificates and a
 * token: the TLS flags and the token work, and each thing missing is one
 * line with what to pass.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './support/cluster.js';
import { ADMIN_ROOT } from './support/paths.js';
import { parseTable, raftctl } from './support/raftctl.js';

const tls = (name: string) => join(ADMIN_ROOT, 'test/fixtures/tls', name);
const TOKEN = 'raftctl-test-token-0123456789';

describe('raftctl with TLS and a token', () => {
  let c: TestCluster;
  let endpoint: string;
  const withCerts = ['--cacert', tls('ca.pem'), '--cert', tls('client.pem'), '--key', tls('client-key.pem')];

  beforeAll(async () => {
    c = await TestCluster.create([1]);
    const m = c.member(1);
    c.spawnWith(1, [
      '--id', '1',
      '--data-dir', m.dataDir,
      '--initial-cluster', `1=${m.peer}`,
      '--listen-client-urls', m.client,
      '--listen-peer-urls', m.peer,
      '--listen-metrics-urls', m.metrics,
      '--cert-file', tls('server.pem'),
      '--key-file', tls('server-key.pem'),
      '--trusted-ca-file', tls('ca.pem'),
      '--client-cert-auth',
      '--auth-token', TOKEN,
      '--log-format', 'json',
    ]);
    endpoint = m.client;
    // Wait through raftctl itself: the harness's own client speaks plaintext.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await raftctl(['--endpoints', endpoint, ...withCerts, '--auth-token', TOKEN, 'status']);
      if (r.code === 0) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`the TLS member did not come up\n${c.logs()}`);
  });
  afterAll(async () => {
    await c?.close();
  });

  it('status and kv work with --cacert, --cert, --key and --auth-token', async () => {
    const status = await raftctl(['--endpoints', endpoint, ...withCerts, '--auth-token', TOKEN, 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(parseTable(status.stdout).map((r) => [r.ID, r.ROLE, r.LEADER])).toEqual([['1', 'leader', '*']]);
    const env = { RAFTCTL_CACERT: tls('ca.pem'), RAFTCTL_CERT: tls('client.pem'), RAFTCTL_KEY: tls('client-key.pem'), RAFTCTL_AUTH_TOKEN: TOKEN, RAFTCTL_ENDPOINTS: `https://${endpoint}` };
    expect((await raftctl(['kv', 'put', 'secure', 'yes'], { env })).code).toBe(0);
    expect((await raftctl(['kv', 'get', 'secure'], { env })).stdout).toBe('secure\nyes\n');
  });

  it('--insecure-skip-tls-verify accepts a certificate no known CA signed', async () => {
    const r = await raftctl(['--endpoints', `https://${endpoint}`, '--insecure-skip-tls-verify', '--cert', tls('client.pem'), '--key', tls('client-key.pem'), '--auth-token', TOKEN, 'kv', 'get', 'secure']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('secure\nyes\n');
  });

  it('without the token: refused, exit 4, pointing at --auth-token', async () => {
    const r = await raftctl(['--endpoints', endpoint, ...withCerts, 'kv', 'get', 'secure']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`Error: ${endpoint}: invalid auth token. Pass the cluster's token with --auth-token (or RAFTCTL_AUTH_TOKEN).\n`);
  });

  it('without a client certificate, or without TLS: unreachable, exit 3', async () => {
    const noCert = await raftctl(['--endpoints', endpoint, '--cacert', tls('ca.pem'), '--auth-token', TOKEN, 'kv', 'get', 'secure']);
    expect(noCert.code, noCert.stderr).toBe(3);
    expect(noCert.stderr).toBe(`Error: ${endpoint}: unreachable (TLS failure: the member requires a client certificate). Check --cacert, --cert and --key, and whether the member serves TLS (https:// endpoints).\n`);
    const plain = await raftctl(['--endpoints', endpoint, '--auth-token', TOKEN, '--timeout', '2s', 'kv', 'get', 'secure']);
    expect(plain.code, plain.stderr).toBe(3);
    expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(new RegExp(`^Error: ${endpoint.replace(/\./g, '\\.')}: (unreachable|no answer within 2s)`));
  });

  it('a missing certificate file is a local failure naming the file, exit 5', async () => {
    const r = await raftctl(['--endpoints', endpoint, '--cacert', '/nonexistent/ca.pem', 'status']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^Error: cannot read --cacert \/nonexistent\/ca\.pem: ENOENT/);
  });

  it('--cert without --key is a usage error', async () => {
    const r = await raftctl(['--endpoints', endpoint, '--cacert', tls('ca.pem'), '--cert', tls('client.pem'), 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('Error: --cert and --key go together. Give both, or neither.\n');
  });
});
