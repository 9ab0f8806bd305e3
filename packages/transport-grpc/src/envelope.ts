import * as grpc from '@grpc/grpc-js';

/** Why an incoming frame or transfer is refused: the status to answer and what to tell the sender. */
export interface Refusal {
  /** The gRPC status the call ends with. */
  code: grpc.status;
  /** The status message: what was wrong, for the sender's log. */
  details: string;
  /** The sender the refusal is counted against, when it is a known member. */
  from?: number;
}

/** What a receiver checks every frame against. */
export interface EnvelopeRules {
  /** This member's cluster id; frames carrying another are refused. */
  clusterId: number;
  /** This member's Raft id; frames addressed to another member are refused. */
  id: number;
  /** Whether `id` is a current peer (it changes with `setPeer` and `removePeer`). */
  isMember(id: number): boolean;
}

/**
 * Checks the addressing of an incoming frame: the right cluster, a sender
 * that is a known member, and this member as the receiver. Returns the
 * refusal, or undefined when the frame may be read further.
 */
export function checkEnvelope(rules: EnvelopeRules, clusterId: number, from: number, to: number): Refusal | undefined {
  if (clusterId !== rules.clusterId) {
    return {
      code: grpc.status.FAILED_PRECONDITION,
      details: `cluster id ${clusterId} does not match this member's cluster id ${rules.clusterId}`,
    };
  }
  if (!rules.isMember(from)) {
    return {
      code: grpc.status.PERMISSION_DENIED,
      details: `sender ${from} is not a member of cluster ${rules.clusterId} known to member ${rules.id}`,
    };
  }
  if (to !== rules.id) {
    return {
      code: grpc.status.FAILED_PRECONDITION,
      details: `frame for member ${to} reached member ${rules.id}; check the peer addresses`,
      from,
    };
  }
  return undefined;
}

/** The refusal of a frame larger than the limit. */
export function oversized(bytes: number, maxMessageBytes: number, from: number | undefined): Refusal {
  const r: Refusal = {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details: `frame of ${bytes} bytes exceeds maxMessageBytes (${maxMessageBytes})`,
  };
  if (from !== undefined) r.from = from;
  return r;
}
