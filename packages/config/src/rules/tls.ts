import type { ParsedAddress } from '../address.js';
import type { Segment } from '../path.js';
import type { PeerTlsSettings, TlsSettings } from '../types.js';
import { INVALID, isValid, type Loose, type LooseFields, type LooseTls } from './loose.js';
import { showAddress } from './members.js';
import type { Problem } from './problem.js';

type Side = 'client' | 'peer';

const FLAGS: Record<Side, { cert: string; key: string; ca: string }> = {
  client: { cert: '--cert-file', key: '--key-file', ca: '--trusted-ca-file' },
  peer: { cert: '--peer-cert-file', key: '--peer-key-file', ca: '--peer-trusted-ca-file' },
};

/**
 * A certificate needs its key, and checking remote certificates needs a CA
 * to check them against; anything set without a certificate would silently
 * do nothing, so it is an error too. Peer TLS always needs the CA: every
 * member dials the others and checks their certificates against it, so a
 * certificate without one could not work (and must not fall back to plain
 * text). Clients may get server-only TLS, with no CA, unless
 * `clientCertAuth` asks for their certificates.
 */
function resolveSide(side: Side, tls: LooseTls, problems: Problem[]): TlsSettings | null | undefined {
  const { certFile, keyFile, trustedCaFile, clientCertAuth } = tls;
  if (certFile === INVALID || keyFile === INVALID || trustedCaFile === INVALID || clientCertAuth === INVALID) return undefined;
  const at = (field: keyof LooseTls): Segment[] => ['tls', side, field];
  if (certFile === undefined) {
    const dependent =
      keyFile !== undefined
        ? 'keyFile is set'
        : trustedCaFile !== undefined
          ? 'trustedCaFile is set'
          : clientCertAuth
            ? 'clientCertAuth is true'
            : undefined;
    if (dependent === undefined) return null;
    problems.push({
      path: at('certFile'),
      value: undefined,
      problem: `missing, but tls.${side}.${dependent}`,
      expected: `a path to a PEM certificate (${FLAGS[side].cert})`,
    });
    return undefined;
  }
  if (keyFile === undefined) {
    problems.push({
      path: at('keyFile'),
      value: undefined,
      problem: `missing, but tls.${side}.certFile is set`,
      expected: `a path to the certificate's PEM private key (${FLAGS[side].key})`,
    });
    return undefined;
  }
  if (side === 'peer' && trustedCaFile === undefined) {
    problems.push({
      path: at('trustedCaFile'),
      value: undefined,
      problem: 'missing, but tls.peer.certFile is set',
      expected: `a path to the PEM CA bundle that signs every member's certificate (${FLAGS.peer.ca}), since members check each other's certificates`,
    });
    return undefined;
  }
  if (clientCertAuth === true && trustedCaFile === undefined) {
    problems.push({
      path: at('trustedCaFile'),
      value: undefined,
      problem: `missing, but tls.${side}.clientCertAuth is true`,
      expected: `a path to the PEM CA bundle that remote certificates are checked against (${FLAGS[side].ca})`,
    });
    return undefined;
  }
  return { certFile, keyFile, clientCertAuth: clientCertAuth ?? false, ...(trustedCaFile !== undefined && { trustedCaFile }) };
}

function addressesOf(list: Loose<ParsedAddress[]>, path: Segment[]): [ParsedAddress, Segment[]][] {
  return isValid(list) ? list.map((a, i) => [a, [...path, i]]) : [];
}

function memberAddresses(fields: LooseFields, field: 'peer' | 'client' | 'metrics'): [ParsedAddress, Segment[]][] {
  if (!isValid(fields.members)) return [];
  const found: [ParsedAddress, Segment[]][] = [];
  for (const member of fields.members) {
    if (member !== INVALID && isValid(member[field])) found.push([member[field], ['members', member.index, field]]);
  }
  return found;
}

/**
 * etcd-style URLs carry a scheme; it must agree with the TLS settings, or a
 * member would dial TLS to a plain listener (or the reverse) and fail with
 * an obscure handshake error at run time.
 */
function reportSchemes(fields: LooseFields, problems: Problem[]): void {
  const sides: [Side, [ParsedAddress, Segment[]][]][] = [
    [
      'client',
      [
        ...addressesOf(fields.listen.client, ['listen', 'client']),
        ...addressesOf(fields.advertise.client, ['advertise', 'client']),
        ...memberAddresses(fields, 'client'),
      ],
    ],
    ['peer', [...addressesOf(fields.listen.peer, ['listen', 'peer']), ...memberAddresses(fields, 'peer')]],
  ];
  for (const [side, addresses] of sides) {
    const certFile = fields.tls[side].certFile;
    if (certFile === INVALID) continue;
    const on = certFile !== undefined;
    for (const [address, path] of addresses) {
      if (on && address.scheme === 'http') {
        problems.push({
          path,
          value: showAddress(address),
          expected: `https://host:port or host:port, since tls.${side}.certFile turns TLS on`,
        });
      } else if (!on && address.scheme === 'https') {
        problems.push({
          path,
          value: showAddress(address),
          expected: `http://host:port or host:port, since TLS is off without tls.${side}.certFile (${FLAGS[side].cert})`,
        });
      }
    }
  }
  const metrics = [...addressesOf(fields.listen.metrics, ['listen', 'metrics']), ...memberAddresses(fields, 'metrics')];
  for (const [address, path] of metrics) {
    if (address.scheme === 'https') {
      problems.push({ path, value: showAddress(address), expected: 'http://host:port or host:port (metrics are served over plain HTTP)' });
    }
  }
}

/** TLS per listener: `null` for plain text, `undefined` when a rule failed. */
export function resolveTls(
  fields: LooseFields,
  problems: Problem[],
): { client: TlsSettings | null; peer: PeerTlsSettings | null } | undefined {
  reportSchemes(fields, problems);
  const client = resolveSide('client', fields.tls.client, problems);
  const peer = resolveSide('peer', fields.tls.peer, problems);
  if (client === undefined || peer === undefined) return undefined;
  if (peer === null) return { client, peer };
  const { trustedCaFile } = peer;
  // resolveSide reported a peer certificate without a CA.
  if (trustedCaFile === undefined) return undefined;
  return { client, peer: { ...peer, trustedCaFile } };
}
