import type { ParsedAddress } from '../address.js';
import { isRecord, type Segment } from '../path.js';
import type { LogFormat, LogLevel } from '../types.js';

/** Marks a field that failed its own check; the field's issue is already reported. */
export const INVALID: unique symbol = Symbol('invalid');

/** A field as the cross-field rules see it: valid, absent, or already reported as invalid. */
export type Loose<T> = T | undefined | typeof INVALID;

/** One entry of `members`, each field read on its own so a bad id does not hide a duplicate address. */
export interface LooseMember {
  index: number;
  id: Loose<number>;
  name: Loose<string>;
  peer: Loose<ParsedAddress>;
  client: Loose<ParsedAddress>;
  metrics: Loose<ParsedAddress>;
}

/** One entry of `peerAddressOverrides`. */
export interface LoosePeerOverride {
  index: number;
  id: Loose<number>;
  peer: Loose<ParsedAddress>;
}

/** One side (clients or peers) of the TLS settings. */
export interface LooseTls {
  certFile: Loose<string>;
  keyFile: Loose<string>;
  trustedCaFile: Loose<string>;
  clientCertAuth: Loose<boolean>;
}

/**
 * The field-level parse result, read defensively. The cross-field rules run
 * even when some fields failed (so every problem is reported at once), and
 * zod then hands over the raw or aborted value in their place.
 */
export interface LooseFields {
  id: Loose<number>;
  name: Loose<string>;
  clusterToken: Loose<string>;
  clusterState: Loose<'new' | 'existing'>;
  members: Loose<Array<LooseMember | typeof INVALID>>;
  peerAddressOverrides: Loose<Array<LoosePeerOverride | typeof INVALID>>;
  dataDir: Loose<string>;
  listen: { client: Loose<ParsedAddress[]>; peer: Loose<ParsedAddress[]>; metrics: Loose<ParsedAddress[]> };
  advertise: { client: Loose<ParsedAddress[]> };
  timing: {
    tickMs: Loose<number>;
    heartbeatTicks: Loose<number>;
    heartbeatMs: Loose<number>;
    electionTicks: Loose<number>;
    electionMs: Loose<number>;
    electionTicksMax: Loose<number>;
    electionMsMax: Loose<number>;
  };
  snapshot: { count: Loose<number>; catchupEntries: Loose<number> };
  limits: {
    maxRequestBytes: Loose<number>;
    maxPeerMessageBytes: Loose<number>;
    maxAppendBytes: Loose<number>;
    maxInflightMessages: Loose<number>;
    maxUncommittedBytes: Loose<number>;
    snapshotChunkBytes: Loose<number>;
    maxTxnOps: Loose<number>;
  };
  tls: { client: LooseTls; peer: LooseTls };
  authToken: Loose<string>;
  log: { level: Loose<LogLevel>; format: Loose<LogFormat> };
}

/** Whether a loose field holds a usable value. */
export function isValid<T>(value: Loose<T>): value is T {
  return value !== undefined && value !== INVALID;
}

type Guard<T> = (value: unknown) => value is T;

/**
 * The paths that already have an issue. A field is invalid when an issue
 * sits on it, on a part of it (one bad address makes the list unusable) or
 * on a mapping that contains it.
 */
export class FailedPaths {
  readonly #paths: (readonly PropertyKey[])[];

  constructor(paths: Iterable<readonly PropertyKey[]>) {
    this.#paths = [...paths];
  }

  /** Whether an issue sits on `path`, inside it, or on a mapping around it. */
  touches(path: readonly Segment[]): boolean {
    return this.#paths.some((failed) => {
      const shared = Math.min(failed.length, path.length);
      for (let i = 0; i < shared; i++) if (failed[i] !== path[i]) return false;
      return true;
    });
  }
}

function child(parent: unknown, key: string): unknown {
  if (parent === INVALID) return INVALID;
  return isRecord(parent) ? parent[key] : INVALID;
}

const isCount: Guard<number> = (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isPositive: Guard<number> = (v): v is number => isCount(v) && v > 0;
const isText: Guard<string> = (v): v is string => typeof v === 'string' && v.length > 0;
const isBoolean: Guard<boolean> = (v): v is boolean => typeof v === 'boolean';
const isAddress: Guard<ParsedAddress> = (v): v is ParsedAddress =>
  isRecord(v) && typeof v.host === 'string' && typeof v.port === 'number';
const isAddressList: Guard<ParsedAddress[]> = (v): v is ParsedAddress[] => Array.isArray(v) && v.every(isAddress);
const oneOf =
  <T extends string>(choices: readonly T[]): Guard<T> =>
  (v): v is T =>
    typeof v === 'string' && (choices as readonly string[]).includes(v);

/** Reads whatever the field-level parse produced, trusting only the fields without an issue. */
export function readLooseFields(value: unknown, failed: FailedPaths): LooseFields {
  const root = isRecord(value) ? value : INVALID;
  const field = <T>(path: readonly Segment[], guard: Guard<T>): Loose<T> => {
    let current: unknown = root;
    for (const segment of path) {
      if (typeof segment === 'string') current = child(current, segment);
      else current = Array.isArray(current) ? current[segment] : INVALID;
    }
    if (failed.touches(path)) return INVALID;
    if (current === undefined) return undefined;
    return guard(current) ? current : INVALID;
  };
  const positive = (section: string, key: string): Loose<number> => field([section, key], isPositive);
  const tls = (side: string): LooseTls => ({
    certFile: field(['tls', side, 'certFile'], isText),
    keyFile: field(['tls', side, 'keyFile'], isText),
    trustedCaFile: field(['tls', side, 'trustedCaFile'], isText),
    clientCertAuth: field(['tls', side, 'clientCertAuth'], isBoolean),
  });
  const member = (entry: unknown, index: number): LooseMember | typeof INVALID => {
    if (!isRecord(entry)) return INVALID;
    return {
      index,
      id: field(['members', index, 'id'], isPositive),
      name: field(['members', index, 'name'], isText),
      peer: field(['members', index, 'peer'], isAddress),
      client: field(['members', index, 'client'], isAddress),
      metrics: field(['members', index, 'metrics'], isAddress),
    };
  };
  const override = (entry: unknown, index: number): LoosePeerOverride | typeof INVALID => {
    if (!isRecord(entry)) return INVALID;
    return {
      index,
      id: field(['peerAddressOverrides', index, 'id'], isPositive),
      peer: field(['peerAddressOverrides', index, 'peer'], isAddress),
    };
  };
  const membersValue = child(root, 'members');
  const overridesValue = child(root, 'peerAddressOverrides');
  return {
    id: field(['id'], isPositive),
    name: field(['name'], isText),
    clusterToken: field(['clusterToken'], isText),
    clusterState: field(['clusterState'], oneOf(['new', 'existing'] as const)),
    members: membersValue === undefined ? undefined : Array.isArray(membersValue) ? membersValue.map(member) : INVALID,
    peerAddressOverrides:
      overridesValue === undefined ? undefined : Array.isArray(overridesValue) ? overridesValue.map(override) : INVALID,
    dataDir: field(['dataDir'], isText),
    listen: {
      client: field(['listen', 'client'], isAddressList),
      peer: field(['listen', 'peer'], isAddressList),
      metrics: field(['listen', 'metrics'], isAddressList),
    },
    advertise: { client: field(['advertise', 'client'], isAddressList) },
    timing: {
      tickMs: positive('timing', 'tickMs'),
      heartbeatTicks: positive('timing', 'heartbeatTicks'),
      heartbeatMs: positive('timing', 'heartbeatMs'),
      electionTicks: positive('timing', 'electionTicks'),
      electionMs: positive('timing', 'electionMs'),
      electionTicksMax: positive('timing', 'electionTicksMax'),
      electionMsMax: positive('timing', 'electionMsMax'),
    },
    snapshot: { count: positive('snapshot', 'count'), catchupEntries: field(['snapshot', 'catchupEntries'], isCount) },
    limits: {
      maxRequestBytes: positive('limits', 'maxRequestBytes'),
      maxPeerMessageBytes: positive('limits', 'maxPeerMessageBytes'),
      maxAppendBytes: positive('limits', 'maxAppendBytes'),
      maxInflightMessages: positive('limits', 'maxInflightMessages'),
      maxUncommittedBytes: positive('limits', 'maxUncommittedBytes'),
      snapshotChunkBytes: positive('limits', 'snapshotChunkBytes'),
      maxTxnOps: positive('limits', 'maxTxnOps'),
    },
    tls: { client: tls('client'), peer: tls('peer') },
    authToken: field(['auth', 'token'], isText),
    log: {
      level: field(['log', 'level'], oneOf(['debug', 'info', 'warn', 'error'] as const)),
      format: field(['log', 'format'], oneOf(['auto', 'json', 'pretty'] as const)),
    },
  };
}
