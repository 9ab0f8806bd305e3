import type { Segment } from '../path.js';

/**
 * A cross-field rule that does not hold. It becomes a zod issue, and then a
 * `ConfigIssue` that names where the value came from.
 */
export interface Problem {
  /** The field to blame: the one the user most likely has to change. */
  path: Segment[];
  /** The value of that field as the user would write it. */
  value: unknown;
  /** What would have been accepted, as the phrase after "expected". */
  expected: string;
  /** Replaces "got <value>" when that would mislead (a missing field). */
  problem?: string;
  /** Where a derived value came from, when not from the field itself (`members[1].peer`). */
  origin?: string;
}
