/**
 * The envelope RaftNode puts around proposals so that the member that
 * proposed an entry can hand the entry's result to the right caller when it
 * is applied (possibly after being forwarded to the leader):
 *
 *   u8 version (1) | f64 member id | u32 epoch | u32 sequence | payload
 *
 * The epoch (taken from the clock at start) keeps a restarted member from
 * mistaking an old entry for a new proposal with the same sequence number.
 */
import { RaftError } from '../errors.js';

/** Identifies one proposal made by one member. */
export interface ProposalId {
  /** The member that took the proposal from its client. */
  member: number;
  /** The member's epoch: taken from its clock when it started, so a restart never reuses an id. */
  epoch: number;
  /** The proposal's sequence number within the member's epoch, from 1. */
  seq: number;
}

const VERSION = 1;
/** Bytes the envelope adds to each proposal. */
export const PROPOSAL_HEADER_BYTES = 17;

/** Wraps a payload with its proposal id. */
export function encodeProposal(id: ProposalId, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PROPOSAL_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setFloat64(1, id.member);
  view.setUint32(9, id.epoch);
  view.setUint32(13, id.seq);
  out.set(payload, PROPOSAL_HEADER_BYTES);
  return out;
}

/**
 * Unwraps an entry's data. Data without an envelope (empty conf-change
 * contexts) has no id.
 */
export function decodeProposal(data: Uint8Array): { id: ProposalId | undefined; payload: Uint8Array } {
  if (data.length === 0) return { id: undefined, payload: data };
  if (data.length < PROPOSAL_HEADER_BYTES || data[0] !== VERSION) {
    throw new RaftError('ProposalDecode', `entry data of ${data.length} bytes is not a raftkit proposal (version byte ${data[0]}, expected ${VERSION})`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    id: { member: view.getFloat64(1), epoch: view.getUint32(9), seq: view.getUint32(13) },
    payload: data.subarray(PROPOSAL_HEADER_BYTES),
  };
}

/** A map key for a proposal made by this member. */
export function proposalKey(id: ProposalId): string {
  return `${id.epoch}:${id.seq}`;
}
