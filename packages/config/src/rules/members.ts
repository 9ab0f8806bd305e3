import { formatAddress, type ParsedAddress } from '../address.js';
import { configDefaults } from '../defaults.js';
import { formatPath } from '../path.js';
import { INVALID, isValid, type LooseFields, type LooseMember } from './loose.js';
import type { Problem } from './problem.js';

/** A member entry whose fields all passed their checks. */
export interface ListedMember {
  index: number;
  id: number;
  name?: string;
  peer: ParsedAddress;
  client?: ParsedAddress;
  metrics?: ParsedAddress;
}

/**
 * Who the local member is. `single` is a node started without a member
 * list: its one-member cluster is built once the listeners are known.
 */
export type Membership =
  | { kind: 'listed'; id: number; self: ListedMember; members: ListedMember[] }
  | { kind: 'single'; id: number };

/** How an address is shown in a problem: as the user would have written it. */
export function showAddress(address: ParsedAddress): string {
  const text = formatAddress(address);
  return address.scheme ? `${address.scheme}://${text}` : text;
}

const ADDRESS_FIELDS = ['peer', 'client', 'metrics'] as const;

function reportDuplicates(entries: LooseMember[], problems: Problem[]): void {
  const idOwners = new Map<number, number>();
  const nameOwners = new Map<string, number>();
  const addressOwners = new Map<string, string>();
  for (const entry of entries) {
    const at = (field: string): (string | number)[] => ['members', entry.index, field];
    if (isValid(entry.id)) {
      const owner = idOwners.get(entry.id);
      if (owner === undefined) idOwners.set(entry.id, entry.index);
      else problems.push({ path: at('id'), value: entry.id, expected: `an id not already used by members[${owner}]` });
    }
    if (isValid(entry.name)) {
      const owner = nameOwners.get(entry.name);
      if (owner === undefined) nameOwners.set(entry.name, entry.index);
      else problems.push({ path: at('name'), value: entry.name, expected: `a name not already used by members[${owner}]` });
    }
    for (const field of ADDRESS_FIELDS) {
      const address = entry[field];
      if (!isValid(address)) continue;
      const key = formatAddress(address);
      const owner = addressOwners.get(key);
      if (owner === undefined) addressOwners.set(key, formatPath(at(field)));
      else problems.push({ path: at(field), value: showAddress(address), expected: `an address not already used by ${owner}` });
    }
  }
}

function complete(entry: LooseMember | typeof INVALID): ListedMember | undefined {
  if (entry === INVALID || !isValid(entry.id) || !isValid(entry.peer)) return undefined;
  if (entry.name === INVALID || entry.client === INVALID || entry.metrics === INVALID) return undefined;
  return {
    index: entry.index,
    id: entry.id,
    peer: entry.peer,
    ...(entry.name !== undefined && { name: entry.name }),
    ...(entry.client !== undefined && { client: entry.client }),
    ...(entry.metrics !== undefined && { metrics: entry.metrics }),
  };
}

/**
 * Finds the local member. With a member list (the cluster file shape), `id`
 * picks the entry; it may be left out only when the list has one member.
 * Without a list, the node is alone and `id` defaults to 1. Ids and
 * addresses must be unique: two members behind one address could not be
 * told apart.
 */
export function resolveMembership(fields: LooseFields, problems: Problem[]): Membership | undefined {
  const { members, id } = fields;
  if (members === undefined) return id === INVALID ? undefined : { kind: 'single', id: id ?? configDefaults.id };
  if (members === INVALID) return undefined;

  const entries = members.filter((m): m is LooseMember => m !== INVALID);
  reportDuplicates(entries, problems);
  const listed = members.map(complete);
  const knownIds = entries.map((e) => e.id).filter(isValid);
  const everyIdKnown = knownIds.length === members.length;
  const idList = knownIds.join(', ');

  let localId: number;
  if (id === INVALID) return undefined;
  if (id === undefined) {
    if (members.length > 1) {
      problems.push({
        path: ['id'],
        value: undefined,
        problem: `missing, and the cluster lists ${members.length} members`,
        expected: `the local member's id, one of ${idList} (--id, RAFTKIT_ID or id in the file)`,
      });
      return undefined;
    }
    const only = knownIds[0];
    if (only === undefined) return undefined;
    localId = only;
  } else {
    if (!knownIds.includes(id)) {
      if (everyIdKnown) problems.push({ path: ['id'], value: id, expected: `one of the member ids ${idList}` });
      return undefined;
    }
    localId = id;
  }

  if (!listed.every((m): m is ListedMember => m !== undefined)) return undefined;
  const self = listed.find((m) => m.id === localId);
  return self ? { kind: 'listed', id: localId, self, members: listed } : undefined;
}

/**
 * The local member's name from `name` (etcd's `--name`): it must agree with
 * the name its own entry gives, if any, and not be another member's.
 * Returns the name to use (`undefined` for none), or INVALID.
 */
export function resolveName(name: LooseFields['name'], membership: Membership, problems: Problem[]): string | undefined | typeof INVALID {
  if (name === INVALID) return INVALID;
  if (membership.kind === 'single') return name;
  const own = membership.self.name;
  if (name === undefined) return own;
  if (own !== undefined && own !== name) {
    problems.push({ path: ['name'], value: name, expected: `the name members[${membership.self.index}] gives this member, ${JSON.stringify(own)}, or no name here` });
    return INVALID;
  }
  const other = membership.members.find((m) => m.id !== membership.id && m.name === name);
  if (other) {
    problems.push({ path: ['name'], value: name, expected: `a name not already used by members[${other.index}]` });
    return INVALID;
  }
  return name;
}
