import type { HardState, Snapshot } from './types.js';
import { EMPTY_BYTES, emptyConfState } from './types.js';

/** Index of the bootstrap snapshot that founding members start from. */
export const BOOTSTRAP_INDEX = 1;
/** Term of the bootstrap snapshot. */
export const BOOTSTRAP_TERM = 1;

/**
 * The durable state of a founding member of a new cluster: a snapshot at
 * index 1 holding the initial membership (and an empty application state),
 * and a hard state that has it committed.
 *
 * Why a snapshot rather than a membership on the side: the membership of the
 * cluster is then always derivable from a snapshot plus the log after it.
 * Index 1 is in no member's log, so a member that joins later (with an empty
 * storage) always catches up from a snapshot that names the current members,
 * and never replays configuration changes on top of a membership it does not
 * know.
 *
 * Members that join an existing cluster start with empty storage instead.
 */
export function bootstrapState(voters: readonly number[], learners: readonly number[] = []): { snapshot: Snapshot; hardState: HardState } {
  return {
    snapshot: {
      metadata: {
        index: BOOTSTRAP_INDEX,
        term: BOOTSTRAP_TERM,
        confState: { ...emptyConfState(), voters: [...voters], learners: [...learners] },
      },
      data: EMPTY_BYTES,
    },
    hardState: { term: BOOTSTRAP_TERM, vote: 0, commit: BOOTSTRAP_INDEX },
  };
}
