import type { NetAddress } from '../address.js';
import { INVALID, isValid, type LooseFields } from './loose.js';
import type { Problem } from './problem.js';

/**
 * The peer addresses this member dials instead of the ones the cluster
 * records. Each names another member (an override of the member itself
 * would never be used), once.
 */
export function resolvePeerOverrides(
  overrides: LooseFields['peerAddressOverrides'],
  localId: number | undefined,
  problems: Problem[],
): Array<{ id: number; peer: NetAddress }> | undefined {
  if (overrides === undefined) return [];
  if (overrides === INVALID) return undefined;
  const out: Array<{ id: number; peer: NetAddress }> = [];
  const owners = new Map<number, number>();
  let complete = true;
  for (const entry of overrides) {
    if (entry === INVALID || !isValid(entry.id) || !isValid(entry.peer)) {
      complete = false;
      continue;
    }
    const at = ['peerAddressOverrides', entry.index, 'id'];
    const owner = owners.get(entry.id);
    if (owner !== undefined) {
      problems.push({ path: at, value: entry.id, expected: `an id not already overridden by peerAddressOverrides[${owner}]` });
      complete = false;
      continue;
    }
    owners.set(entry.id, entry.index);
    if (entry.id === localId) {
      problems.push({
        path: at,
        value: entry.id,
        expected: `the id of another member: ${localId} is this member, which never dials itself (its own address is listen.peer)`,
      });
      complete = false;
      continue;
    }
    out.push({ id: entry.id, peer: { host: entry.peer.host, port: entry.peer.port } });
  }
  return complete ? out : undefined;
}
