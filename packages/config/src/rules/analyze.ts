import type { NetAddress, ParsedAddress } from '../address.js';
import type { ClusterMember, NodeConfig } from '../types.js';
import { resolveLimits } from './limits.js';
import { resolveListeners, type Endpoint } from './listeners.js';
import { INVALID, isValid, type LooseFields } from './loose.js';
import { resolveMembership, resolveName, type ListedMember } from './members.js';
import { resolvePeerOverrides } from './overrides.js';
import type { Problem } from './problem.js';
import { resolveTiming } from './timing.js';
import { resolveTls } from './tls.js';

/** The outcome of the cross-field rules: every broken rule, and the configuration when nothing is broken. */
export interface Analysis {
  problems: Problem[];
  config: NodeConfig | undefined;
}

function plain(address: ParsedAddress): NetAddress {
  return { host: address.host, port: address.port };
}

function addresses(endpoints: Endpoint[]): NetAddress[] {
  return endpoints.map((e) => plain(e.address));
}

function toMember(m: ListedMember): ClusterMember {
  return {
    id: m.id,
    ...(m.name !== undefined && { name: m.name }),
    peer: plain(m.peer),
    ...(m.client !== undefined && { client: plain(m.client) }),
    ...(m.metrics !== undefined && { metrics: plain(m.metrics) }),
  };
}

/**
 * Applies every cross-field rule and, when all hold, builds the resolved
 * configuration. Each rule reports what it can even when unrelated fields
 * are broken, so one run shows every problem.
 */
export function analyzeNodeConfig(fields: LooseFields): Analysis {
  const problems: Problem[] = [];
  const membership = resolveMembership(fields, problems);
  const listeners = membership ? resolveListeners(fields, membership, problems) : undefined;
  const timing = resolveTiming(fields.timing, problems);
  const limits = resolveLimits(fields.limits, problems);
  const tls = resolveTls(fields, problems);
  const name = membership ? resolveName(fields.name, membership, problems) : INVALID;
  const peerAddressOverrides = resolvePeerOverrides(fields.peerAddressOverrides, membership?.id, problems);

  const { clusterToken, clusterState, dataDir, snapshot, log, authToken } = fields;
  if (
    !membership ||
    !listeners ||
    !timing ||
    !limits ||
    !tls ||
    name === INVALID ||
    !peerAddressOverrides ||
    !isValid(clusterToken) ||
    !isValid(clusterState) ||
    !isValid(dataDir) ||
    !isValid(snapshot.count) ||
    !isValid(snapshot.catchupEntries) ||
    !isValid(log.level) ||
    !isValid(log.format) ||
    authToken === INVALID ||
    problems.length > 0
  ) {
    return { problems, config: undefined };
  }

  const advertisedClient = addresses(listeners.advertiseClient);
  let members: ClusterMember[];
  let self: ClusterMember;
  if (membership.kind === 'listed') {
    members = membership.members.map(toMember);
    const listed = members.find((m) => m.id === membership.id);
    if (!listed) throw new Error(`member ${membership.id} vanished while resolving the member list`);
    // Clients must be able to reach the local member, so it always has a client address.
    if (listed.client === undefined && advertisedClient[0]) listed.client = advertisedClient[0];
    if (name !== undefined) listed.name = name;
    self = listed;
  } else {
    const [peer] = addresses(listeners.peer);
    if (!peer) throw new Error('a single member needs a peer listener');
    self = { id: membership.id, ...(name !== undefined && { name }), peer, ...(advertisedClient[0] && { client: advertisedClient[0] }) };
    members = [self];
  }

  return {
    problems,
    config: {
      id: membership.id,
      self,
      members,
      peerAddressOverrides,
      clusterToken,
      clusterState,
      dataDir: dataDir.replaceAll('{id}', String(membership.id)),
      listen: { client: addresses(listeners.client), peer: addresses(listeners.peer), metrics: addresses(listeners.metrics) },
      advertise: { client: advertisedClient },
      timing,
      snapshot: { count: snapshot.count, catchupEntries: snapshot.catchupEntries },
      limits,
      tls,
      auth: { token: authToken ?? null },
      log: { level: log.level, format: log.format },
    },
  };
}
