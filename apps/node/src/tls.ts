/**
 * TLS for the member's listeners and its peer connections, from the
 * validated configuration. A side with a certificate always gets TLS: a
 * setting that cannot work throws at startup, never falls back to plain text.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { PeerTlsSettings, TlsSettings } from '@raftkit/config';
import type { TlsOptions } from '@raftkit/transport-grpc';

/**
 * The transport's TLS options for peer traffic (the peer listener and the
 * connections to other members), or `undefined` for plain text when no peer
 * certificate is configured.
 * @throws Error when a peer certificate comes without the CA that members check each other against
 */
export function peerTransportTls(peer: PeerTlsSettings | null): TlsOptions | undefined {
  if (peer === null) return undefined;
  // The configuration refuses this already; a hand-made NodeConfig must not turn TLS off either.
  if (typeof peer.trustedCaFile !== 'string' || peer.trustedCaFile === '') {
    throw new Error(
      `tls.peer.trustedCaFile is ${JSON.stringify(peer.trustedCaFile)} while tls.peer.certFile is ${JSON.stringify(peer.certFile)}; ` +
        'expected the path of the PEM CA bundle that signs every member\'s certificate (peer TLS cannot work without it)',
    );
  }
  return { caFile: peer.trustedCaFile, certFile: peer.certFile, keyFile: peer.keyFile, requireClientCert: peer.clientCertAuth };
}

function readPem(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`tls.client.${field} ${JSON.stringify(path)} cannot be read: ${(e as Error).message}`);
  }
}

/**
 * Credentials of the client listener: plain text without a certificate,
 * otherwise TLS with this member's certificate. Without `trustedCaFile` it
 * is server-only TLS (clients check the member, not the other way round);
 * `clientCertAuth` requires a client certificate signed by that CA.
 * @throws Error when a file cannot be read, or `clientCertAuth` comes without a CA
 */
export function clientServerCredentials(client: TlsSettings | null): grpc.ServerCredentials {
  if (client === null) return grpc.ServerCredentials.createInsecure();
  if (client.clientCertAuth && client.trustedCaFile === undefined) {
    throw new Error('tls.client.clientCertAuth is true but tls.client.trustedCaFile is missing; expected the CA that client certificates are checked against');
  }
  const ca = client.trustedCaFile !== undefined ? readPem('trustedCaFile', client.trustedCaFile) : null;
  const pair = { cert_chain: readPem('certFile', client.certFile), private_key: readPem('keyFile', client.keyFile) };
  return grpc.ServerCredentials.createSsl(ca, [pair], client.clientCertAuth);
}
