import { addressesCollide, parseAddress, type ParsedAddress } from '../address.js';
import { configDefaults } from '../defaults.js';
import { formatPath, type Segment } from '../path.js';
import { INVALID, type Loose, type LooseFields } from './loose.js';
import { showAddress, type Membership } from './members.js';
import type { Problem } from './problem.js';

/** An address in use, with the field it is blamed on and, when derived, what it was derived from. */
export interface Endpoint {
  address: ParsedAddress;
  path: Segment[];
  origin?: string;
}

/** The addresses this process binds and advertises, after defaults. */
export interface Listeners {
  client: Endpoint[];
  peer: Endpoint[];
  metrics: Endpoint[];
  advertiseClient: Endpoint[];
}

function defaultEndpoint(text: string, path: Segment[]): Endpoint {
  const parsed = parseAddress(text, 0);
  if (!parsed.ok) throw new Error(`the built-in default address ${text} does not parse`);
  return { address: parsed.address, path };
}

function given(list: ParsedAddress[], path: Segment[]): Endpoint[] {
  return list.map((address, i) => ({ address, path: [...path, i] }));
}

function endpoints(
  list: Loose<ParsedAddress[]>,
  path: Segment[],
  fromMember: { address: ParsedAddress | undefined; origin: string } | undefined,
  fallback: string,
): Endpoint[] | undefined {
  if (list === INVALID) return undefined;
  if (list !== undefined) return given(list, path);
  if (fromMember?.address) return [{ address: fromMember.address, path, origin: fromMember.origin }];
  return [defaultEndpoint(fallback, path)];
}

function reportCollisions(all: Endpoint[], problems: Problem[]): void {
  all.forEach((endpoint, i) => {
    const earlier = all.slice(0, i).find((other) => addressesCollide(other.address, endpoint.address));
    if (!earlier) return;
    problems.push({
      path: endpoint.path,
      value: showAddress(endpoint.address),
      expected: `an address not already used by ${formatPath(earlier.path)}`,
      ...(endpoint.origin !== undefined && { origin: endpoint.origin }),
    });
  });
}

/**
 * Works out what to bind. In the cluster-file shape each listener defaults
 * to the local member's own address from the list, so a process started as
 * `--id 2` needs nothing else; members behind a NAT or proxy set `listen`
 * explicitly. Without a member list the defaults are etcd's localhost ports.
 * Two listeners on one port would fail at bind time, so that is caught here.
 */
export function resolveListeners(fields: LooseFields, membership: Membership, problems: Problem[]): Listeners | undefined {
  const d = configDefaults.listen;
  const self = membership.kind === 'listed' ? membership.self : undefined;
  const from = (field: 'peer' | 'client' | 'metrics') =>
    self ? { address: self[field], origin: `members[${self.index}].${field}` } : undefined;
  const client = endpoints(fields.listen.client, ['listen', 'client'], from('client'), d.client);
  const peer = endpoints(fields.listen.peer, ['listen', 'peer'], from('peer'), d.peer);
  const metrics = endpoints(fields.listen.metrics, ['listen', 'metrics'], from('metrics'), d.metrics);
  const advertised = fields.advertise.client;
  if (!client || !peer || !metrics || advertised === INVALID) return undefined;

  reportCollisions([...client, ...peer, ...metrics], problems);

  let advertiseClient: Endpoint[];
  if (advertised !== undefined) advertiseClient = given(advertised, ['advertise', 'client']);
  else if (self?.client) advertiseClient = [{ address: self.client, path: ['advertise', 'client'], origin: `members[${self.index}].client` }];
  else advertiseClient = client.map((e) => ({ address: e.address, path: ['advertise', 'client'], origin: formatPath(e.path) }));
  return { client, peer, metrics, advertiseClient };
}
