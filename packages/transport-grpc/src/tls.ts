import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { TransportUsageError } from './errors.js';
import type { TlsOptions } from './types.js';

interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function readPem(option: string, path: string): Buffer {
  if (typeof path !== 'string' || path === '') {
    throw new TransportUsageError(`tls.${option} is ${JSON.stringify(path)}; expected the path of a PEM file`);
  }
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (e) {
    throw new TransportUsageError(`tls.${option} ${JSON.stringify(path)} cannot be read: ${(e as Error).message}`);
  }
  if (!pem.includes('-----BEGIN ')) {
    throw new TransportUsageError(`tls.${option} ${JSON.stringify(path)} is not PEM: expected a "-----BEGIN ..." block`);
  }
  return pem;
}

function readMaterial(tls: TlsOptions): TlsMaterial {
  return {
    ca: readPem('caFile', tls.caFile),
    cert: readPem('certFile', tls.certFile),
    key: readPem('keyFile', tls.keyFile),
  };
}

/**
 * Credentials for a server that serves the peer service: plaintext without
 * `tls`, otherwise TLS with this member's certificate, requiring a client
 * certificate signed by the CA unless `requireClientCert` is false.
 * @throws TransportUsageError when a file is missing or not PEM
 */
export function serverCredentials(tls: TlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const m = readMaterial(tls);
  return grpc.ServerCredentials.createSsl(m.ca, [{ private_key: m.key, cert_chain: m.cert }], tls.requireClientCert ?? true);
}

/**
 * Credentials for connecting to peers: plaintext without `tls`, otherwise TLS
 * verifying the peer against the CA and presenting this member's certificate
 * (for mutual TLS).
 * @throws TransportUsageError when a file is missing or not PEM
 */
export function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const m = readMaterial(tls);
  return grpc.credentials.createSsl(m.ca, m.key, m.cert);
}
