import { type Entry, MessageType } from './types.js';

/**
 * Fixed per-entry overhead counted on top of the payload when sizing messages:
 * index, term and type as they travel in protobuf, rounded up.
 */
export const ENTRY_OVERHEAD_BYTES = 24;

/** The size an entry adds to a message, used for per-message and in-flight byte limits. */
export function entryEncodingSize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

/** The sum of {@link entryEncodingSize} over `ents`. */
export function entriesEncodingSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += entryEncodingSize(e);
  return n;
}

/** The payload bytes of `ents`, used for the uncommitted-size limit (empty entries count zero). */
export function payloadsSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += e.data.length;
  return n;
}

/**
 * Returns the longest prefix of `ents` whose encoding size is at most
 * `maxBytes`, but always at least one entry when `ents` is not empty, so a
 * single entry larger than the limit still makes progress.
 */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entryEncodingSize(ents[0]!);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entryEncodingSize(ents[limit]!);
    if (size > maxBytes) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}

const LOCAL_TYPES = new Set<MessageType>([
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Unreachable,
  MessageType.SnapStatus,
  MessageType.CheckQuorum,
]);

/** True for message types that never travel between members. */
export function isLocalMessage(t: MessageType): boolean {
  return LOCAL_TYPES.has(t);
}

const RESPONSE_TYPES = new Set<MessageType>([
  MessageType.AppResp,
  MessageType.VoteResp,
  MessageType.HeartbeatResp,
  MessageType.Unreachable,
  MessageType.PreVoteResp,
]);

/** True for responses: messages that answer a request of the leader or a candidate. */
export function isResponseMessage(t: MessageType): boolean {
  return RESPONSE_TYPES.has(t);
}

/** The response type that answers a vote or pre-vote request. */
export function voteResponseType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.Vote:
      return MessageType.VoteResp;
    case MessageType.PreVote:
      return MessageType.PreVoteResp;
    default:
      throw new Error(`not a vote message: ${MessageType[t]}`);
  }
}

/** Byte-wise equality of two arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Sorted copy of the ids of a set. */
export function sortedIds(ids: Iterable<number>): number[] {
  return [...ids].sort((x, y) => x - y);
}
