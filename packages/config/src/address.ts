import { isIP, isIPv4, isIPv6 } from 'node:net';

/** A network endpoint as the server binds or dials it. IPv6 hosts are kept without brackets. */
export interface NetAddress {
  /** Hostname or IP literal, lowercased; IPv6 without brackets. */
  host: string;
  /** TCP port, 0-65535; 0 asks the system for a free port when binding. */
  port: number;
}

/** The URL schemes etcd-style addresses may carry; they must agree with the TLS settings. */
export type AddressScheme = 'http' | 'https';

/** An address as written, normalized, with the scheme it was given with (if any). */
export interface ParsedAddress extends NetAddress {
  /** The scheme as written, lowercased, which must agree with the TLS setting of that address; `undefined` for a bare `host:port`. */
  scheme: AddressScheme | undefined;
}

/** What {@link parseAddress} returns: the address, or the phrase saying what was expected instead. */
export type AddressParseResult = { ok: true; address: ParsedAddress } | { ok: false; expected: string };

/** The phrase every malformed address is answered with, so all address errors read alike. */
export const ADDRESS_SYNTAX = 'host:port, http://host:port or https://host:port';

const SCHEME_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// RFC 1123 labels; underscores are tolerated because container and service-discovery names use them.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const PORT = /^\d{1,5}$/;

/**
 * Parses `host:port`, `http://host:port` or `https://host:port` (IPv6 as
 * `[::1]:2380`). The port is always required: a default port would hide a
 * typo. `minPort` is 0 for addresses the server binds (port 0 asks the
 * system for a free port) and 1 for addresses others dial.
 */
export function parseAddress(text: string, minPort: 0 | 1): AddressParseResult {
  const bad = { ok: false as const, expected: ADDRESS_SYNTAX };
  let rest = text;
  let scheme: AddressScheme | undefined;
  const prefix = SCHEME_PREFIX.exec(rest);
  if (prefix) {
    const name = prefix[1]?.toLowerCase();
    if (name !== 'http' && name !== 'https') return bad;
    scheme = name;
    rest = rest.slice(prefix[0].length);
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
  }

  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') return bad;
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
    if (!isIPv6(host)) return bad;
  } else {
    const colon = rest.indexOf(':');
    if (colon < 0 || rest.indexOf(':', colon + 1) >= 0) return bad;
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (isIP(host) === 0 && !HOSTNAME.test(host)) return bad;
  }
  if (!PORT.test(portText)) return bad;
  const port = Number(portText);
  if (port < minPort || port > 65_535) return { ok: false, expected: `a port from ${minPort} to 65535` };
  return { ok: true, address: { host: host.toLowerCase(), port, scheme } };
}

/** Writes an address the way gRPC and Node's `net` accept it: `host:port`, IPv6 in brackets. */
export function formatAddress(address: NetAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const ANY_IPV4 = '0.0.0.0';
// Node listens dual-stack on `::`, so it takes the port on every IPv4 and IPv6 address.
const ANY = new Set(['::', '0:0:0:0:0:0:0:0']);

/**
 * Whether binding both addresses in one process would fail: the same port
 * on the same host, on any host when one of them is `::`, or on any IPv4
 * host when one of them is `0.0.0.0`. Host names are not resolved, so two
 * names for one host pass here and fail at bind time. Port 0 never
 * collides, since the system picks a free port for it.
 */
export function addressesCollide(a: NetAddress, b: NetAddress): boolean {
  if (a.port === 0 || b.port === 0 || a.port !== b.port) return false;
  if (a.host === b.host || ANY.has(a.host) || ANY.has(b.host)) return true;
  return (a.host === ANY_IPV4 && isIPv4(b.host)) || (b.host === ANY_IPV4 && isIPv4(a.host));
}
