import type { LimitSettings } from '../types.js';
import { isValid, type LooseFields } from './loose.js';
import type { Problem } from './problem.js';

/** The limits a single peer message must be able to carry, in the order they are checked. */
const CARRIED = ['maxRequestBytes', 'maxAppendBytes', 'snapshotChunkBytes'] as const;

/**
 * A peer message carries at least one whole entry (up to a client request),
 * an append batch or a snapshot chunk. If the peer limit were not larger,
 * the leader could never replicate such an entry and the cluster would stall.
 */
export function resolveLimits(limits: LooseFields['limits'], problems: Problem[]): LimitSettings | undefined {
  const peer = limits.maxPeerMessageBytes;
  let largest: { name: (typeof CARRIED)[number]; bytes: number } | undefined;
  for (const name of CARRIED) {
    const bytes = limits[name];
    if (isValid(bytes) && (largest === undefined || bytes > largest.bytes)) largest = { name, bytes };
  }
  if (isValid(peer) && largest !== undefined && largest.bytes >= peer) {
    problems.push({
      path: ['limits', 'maxPeerMessageBytes'],
      value: peer,
      expected: `more than limits.${largest.name}, which is ${largest.bytes}, so that one peer message can carry it`,
    });
    return undefined;
  }
  const {
    maxRequestBytes,
    maxPeerMessageBytes,
    maxAppendBytes,
    maxInflightMessages,
    maxUncommittedBytes,
    snapshotChunkBytes,
    maxTxnOps,
  } = limits;
  if (
    !isValid(maxRequestBytes) ||
    !isValid(maxPeerMessageBytes) ||
    !isValid(maxAppendBytes) ||
    !isValid(maxInflightMessages) ||
    !isValid(maxUncommittedBytes) ||
    !isValid(snapshotChunkBytes) ||
    !isValid(maxTxnOps)
  ) {
    return undefined;
  }
  return { maxRequestBytes, maxPeerMessageBytes, maxAppendBytes, maxInflightMessages, maxUncommittedBytes, snapshotChunkBytes, maxTxnOps };
}
