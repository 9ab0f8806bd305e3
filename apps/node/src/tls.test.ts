import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type NodeConfig, loadConfig } from '@raftkit/config';
import { healthv1 } from '@raftkit/proto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import { clientServerCredentials, peerTransportTls } from './tls.js';

/** A self-signed certificate for localhost that is its own CA: enough for one member. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'node.crt');
  const key = join(dir, 'node.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext', 'extendedKeyUsage=serverAuth,clientAuth',
  ], { stdio: 'ignore' });
  return { cert, key };
}

function ready(client: grpc.Client, ms: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + ms, (e) => (e ? reject(e) : resolve())));
}

describe('TLS of a member', () => {
  let dir: string;
  let cert: string;
  let key: string;
  const silent = pino({ level: 'silent' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'raftkit-node-tls-'));
    ({ cert, key } = selfSigned(dir));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function config(dataDir: string, extra: string[]): NodeConfig {
    return loadConfig({
      env: {},
      cwd: dir,
      argv: ['--data-dir', dataDir, '--listen-peer-urls', '127.0.0.1:0', '--listen-client-urls', '127.0.0.1:0', '--listen-metrics-urls', '', ...extra],
    });
  }

  it('maps peer settings to the transport, and plain text only without a certificate', () => {
    expect(peerTransportTls(null)).toBeUndefined();
    expect(peerTransportTls({ certFile: cert, keyFile: key, trustedCaFile: cert, clientCertAuth: true })).toEqual({
      caFile: cert,
      certFile: cert,
      keyFile: key,
      requireClientCert: true,
    });
  });

  it('refuses to start, before opening its data, with a peer certificate but no CA', async () => {
    const dataDir = join(dir, 'no-ca');
    const c = config(dataDir, ['--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', cert]);
    // The configuration refuses this; a hand-made one must not turn peer TLS off either.
    const { trustedCaFile: _ca, ...withoutCa } = c.tls.peer!;
    const broken = { ...c, tls: { ...c.tls, peer: withoutCa } } as unknown as NodeConfig;
    await expect(startServer(broken, silent)).rejects.toThrow(/tls\.peer\.trustedCaFile is undefined while tls\.peer\.certFile is ".*node\.crt"; expected the path of the PEM CA bundle/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses client certificate checks without a CA', () => {
    expect(() => clientServerCredentials({ certFile: cert, keyFile: key, clientCertAuth: true })).toThrow(/tls\.client\.trustedCaFile is missing/);
  });

  it('serves TLS on the peer port with the CA, and server-only TLS to clients without one', async () => {
    const server = await startServer(
      config(join(dir, 'data'), ['--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', cert, '--peer-client-cert-auth', '--cert-file', cert, '--key-file', key]),
      silent,
    );
    const ca = readFileSync(cert);
    const clients: grpc.Client[] = [];
    try {
      const peerPort = server.addresses.peer[0]!.split(':')[1];
      const clientPort = server.addresses.client[0]!.split(':')[1];

      const plain = new grpc.Client(`127.0.0.1:${peerPort}`, grpc.credentials.createInsecure());
      clients.push(plain);
      await expect(ready(plain, 1000)).rejects.toThrow();
      const mutual = new grpc.Client(`localhost:${peerPort}`, grpc.credentials.createSsl(ca, readFileSync(key), ca));
      clients.push(mutual);
      await ready(mutual, 5000);

      // A client without a certificate of its own, checking the member against the CA.
      const health = new healthv1.HealthClient(`localhost:${clientPort}`, grpc.credentials.createSsl(ca));
      clients.push(health);
      const answer = await new Promise<healthv1.HealthCheckResponse>((resolve, reject) =>
        health.check({ service: '' }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      expect(answer.status).toBeDefined();
    } finally {
      for (const c of clients) c.close();
      await server.stop();
    }
  });
});
