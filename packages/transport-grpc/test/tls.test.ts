import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GrpcTransport, type TlsOptions, TransportUsageError } from '../src/index.js';
import { createPki, type TestPki } from './support/certs.js';
import { type Member, delay, heartbeat, peerStats, recordingHandler, startMember, stopAll, waitFor } from './support/harness.js';
import { frameBytes, hb, sendRawFrames } from './support/raw.js';

describe('TLS', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let members: Member[] = [];
  const tls = (p: TestPki, name: string, extra: Partial<TlsOptions> = {}): TlsOptions => ({ caFile: p.caFile, ...p.node(name), ...extra });

  beforeAll(async () => {
    pki = await createPki('raftkit-test-ca', ['n1', 'n2']);
    otherPki = await createPki('some-other-ca', ['intruder']);
  });
  afterAll(async () => {
    await rm(pki.dir, { recursive: true, force: true });
    await rm(otherPki.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await stopAll(members);
    members = [];
  });

  async function pair(tlsA: TlsOptions, tlsB: TlsOptions): Promise<[Member, Member]> {
    const a = await startMember(1, { tls: tlsA });
    const b = await startMember(2, { tls: tlsB });
    members.push(a, b);
    // By name rather than IP: certificates are checked against it, and TLS
    // clients should not send an IP address as the server name (RFC 6066).
    a.transport.setPeer({ id: 2, address: `localhost:${b.port}` });
    b.transport.setPeer({ id: 1, address: `localhost:${a.port}` });
    return [a, b];
  }

  it('delivers messages both ways over mutual TLS', async () => {
    const [a, b] = await pair(tls(pki, 'n1'), tls(pki, 'n2'));
    a.transport.send([heartbeat(1, 2, 1)]);
    b.transport.send([heartbeat(2, 1, 2)]);
    await waitFor('both messages', () => a.inbox.messages.length === 1 && b.inbox.messages.length === 1);
    expect(b.inbox.messages[0]!.commit).toBe(1);
    expect(a.inbox.messages[0]!.commit).toBe(2);
  });

  it('verifies the peer against serverNameOverride when addresses do not match the certificate', async () => {
    // The certificates name 127.0.0.1 and localhost; checking them against another name must fail.
    const [a, b] = await pair(tls(pki, 'n1', { serverNameOverride: 'not-in-the-cert' }), tls(pki, 'n2'));
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('unreachable report', () => a.inbox.unreachable.includes(2));
    expect(peerStats(a, 2).connected).toBe(false);
    expect(b.inbox.messages).toEqual([]);
    // With the name in the certificate, it connects.
    const [c, d] = await pair(tls(pki, 'n1', { serverNameOverride: 'localhost' }), tls(pki, 'n2'));
    c.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('delivery', () => d.inbox.messages.length === 1);
  });

  it('refuses a member whose certificate another CA signed, in both directions', async () => {
    const [a, b] = await pair(tls(pki, 'n1'), tls(otherPki, 'intruder', { caFile: pki.caFile }));
    b.transport.send([heartbeat(2, 1, 1)]);
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor('both sides report the other unreachable', () => a.inbox.unreachable.includes(2) && b.inbox.unreachable.includes(1));
    await delay(50);
    expect(a.inbox.messages).toEqual([]);
    expect(b.inbox.messages).toEqual([]);
  });

  it('refuses clients without a certificate when mutual TLS is on, and takes them when it is off', async () => {
    const [a] = await pair(tls(pki, 'n1'), tls(pki, 'n2'));
    const noCert = grpc.credentials.createSsl(readFileSync(pki.caFile));
    const status = await rawWithCredentials(`localhost:${a.port}`, noCert);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(a.inbox.messages).toEqual([]);

    const serverOnly = await startMember(3, { tls: tls(pki, 'n1', { requireClientCert: false }) });
    members.push(serverOnly);
    serverOnly.transport.setPeer({ id: 2, address: '127.0.0.1:1' });
    const ok = await rawWithCredentials(`localhost:${serverOnly.port}`, noCert, 3);
    expect(ok.code).toBe(grpc.status.OK);
    expect(serverOnly.inbox.messages).toHaveLength(1);
  });

  it('rejects plaintext clients on a TLS port', async () => {
    const [a] = await pair(tls(pki, 'n1'), tls(pki, 'n2'));
    const status = await sendRawFrames(a.address, [frameBytes({ messages: [hb()] })]);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(a.inbox.messages).toEqual([]);
  });

  it('names the option and the file when TLS material cannot be used', () => {
    const { handler } = recordingHandler();
    const missing = join(pki.dir, 'missing.pem');
    expect(() => new GrpcTransport({ id: 1, clusterId: 7, handler, tls: { ...tls(pki, 'n1'), certFile: missing } })).toThrow(
      new RegExp(`tls.certFile "${missing}" cannot be read`),
    );
    expect(() => new GrpcTransport({ id: 1, clusterId: 7, handler, tls: { ...tls(pki, 'n1'), caFile: join(pki.dir, 'node.ext') } })).toThrow(
      TransportUsageError,
    );
    // TLS between members always checks the other side against a CA: without one it refuses, never falls back to plain text.
    const { caFile: _ca, ...withoutCa } = tls(pki, 'n1');
    expect(() => new GrpcTransport({ id: 1, clusterId: 7, handler, tls: withoutCa as TlsOptions })).toThrow(/tls\.caFile is undefined; expected the path of a PEM file/);
  });
});

/** Sends one valid frame (from member 2 to `to`) over TLS with the given client credentials. */
async function rawWithCredentials(address: string, credentials: grpc.ChannelCredentials, to = 1): Promise<grpc.StatusObject> {
  const client = new grpc.Client(address, credentials);
  try {
    const call = client.makeBidiStreamRequest('/raftkit.raft.v1.RaftPeer/SendMessages', (b: Buffer) => b, (b: Buffer) => b);
    call.on('data', () => {});
    call.on('error', () => {});
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write(frameBytes({ to, messages: [hb({ to })] }));
    call.end();
    return await status;
  } finally {
    client.close();
  }
}
