/** What one membership change does to one member. */
export enum ConfChangeType {
  /** Add a voter, or promote a learner to voter. */
  AddVoter = 0,
  /** Remove a voter or a learner. */
  RemoveNode = 1,
  /** Add a learner, or demote a voter to learner. */
  AddLearner = 2,
  /**
   * Change nothing in Raft's membership; lets the application replicate new
   * metadata (such as addresses) for an existing member through the log.
   */
  UpdateNode = 3,
}

/** One change to one member. */
export interface ConfChangeSingle {
  /** What to do to the member. */
  type: ConfChangeType;
  /** The member's id; 0 marks a change the application decided not to apply (it is skipped). */
  nodeId: number;
}

/**
 * How a change moves through joint consensus (Raft thesis §4.3).
 * - `Auto`: one voter change is applied directly; more go through a joint
 *   configuration that is left automatically.
 * - `JointImplicit`: always use a joint configuration, left automatically.
 * - `JointExplicit`: always use a joint configuration; the application leaves
 *   it by proposing an empty change.
 */
export enum ConfChangeTransition {
  /** One voter change is applied directly (thesis §4.1); more go through a joint configuration left automatically. */
  Auto = 0,
  /** Always through a joint configuration (thesis §4.3), left automatically once it is committed. */
  JointImplicit = 1,
  /** Always through a joint configuration, left only when the application proposes the empty change. */
  JointExplicit = 2,
}

/**
 * A membership change: a list of single changes applied together. An `Auto`
 * change with no single changes means "leave the joint configuration".
 * `context` is opaque to Raft (applications put member metadata there).
 */
export interface ConfChange {
  /** Whether and how the change goes through a joint configuration. */
  transition: ConfChangeTransition;
  /** The changes, applied together, in order; none (with `Auto`) leaves the joint configuration. */
  changes: ConfChangeSingle[];
  /** Opaque bytes for the application (member metadata such as addresses); Raft ignores them. */
  context: Uint8Array;
}

/** True if this change leaves a joint configuration. */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.transition === ConfChangeTransition.Auto && cc.changes.length === 0;
}

/**
 * Whether this change enters a joint configuration and, if so, whether it is
 * left automatically.
 */
export function enterJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (cc.transition !== ConfChangeTransition.Auto || cc.changes.length > 1) {
    return { joint: true, autoLeave: cc.transition !== ConfChangeTransition.JointExplicit };
  }
  return { joint: false, autoLeave: false };
}
