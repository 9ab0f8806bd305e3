/**
 * Checks on what callers hand the store. Every failure names the field, the
 * value it had and what was expected.
 */
import type { ConfState, Entry, HardState, SnapshotMetadata } from '@raftkit/core';
import { StorageUsageError } from './errors.js';

/** Throws unless `value` is an integer in `[min, Number.MAX_SAFE_INTEGER]`. */
export function requireInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new StorageUsageError(`${name} is ${describe(value)}; expected an integer of at least ${min}`);
  }
  return value;
}

/** Throws unless `hs` is a well-formed hard state. */
export function requireHardState(name: string, hs: HardState): HardState {
  if (typeof hs !== 'object' || hs === null) throw new StorageUsageError(`${name} is ${describe(hs)}; expected { term, vote, commit }`);
  requireInteger(`${name}.term`, hs.term, 0);
  requireInteger(`${name}.vote`, hs.vote, 0);
  requireInteger(`${name}.commit`, hs.commit, 0);
  return hs;
}

/** Throws unless `cs` is a well-formed membership. */
export function requireConfState(name: string, cs: ConfState): ConfState {
  if (typeof cs !== 'object' || cs === null) {
    throw new StorageUsageError(`${name} is ${describe(cs)}; expected { voters, learners, votersOutgoing, learnersNext, autoLeave }`);
  }
  for (const field of ['voters', 'learners', 'votersOutgoing', 'learnersNext'] as const) {
    const ids: unknown = cs[field];
    if (!Array.isArray(ids)) throw new StorageUsageError(`${name}.${field} is ${describe(ids)}; expected an array of member ids`);
    ids.forEach((id, i) => requireInteger(`${name}.${field}[${i}]`, id, 1));
  }
  if (typeof cs.autoLeave !== 'boolean') throw new StorageUsageError(`${name}.autoLeave is ${describe(cs.autoLeave)}; expected a boolean`);
  return cs;
}

/** Throws unless `m` describes a snapshot: index and term of at least 1 and a membership. */
export function requireSnapshotMetadata(name: string, m: SnapshotMetadata): SnapshotMetadata {
  if (typeof m !== 'object' || m === null) throw new StorageUsageError(`${name} is ${describe(m)}; expected { index, term, confState }`);
  requireInteger(`${name}.index`, m.index, 1);
  requireInteger(`${name}.term`, m.term, 1);
  requireConfState(`${name}.confState`, m.confState);
  return m;
}

/** Throws unless `entries` are well-formed and have consecutive indexes and non-decreasing terms. */
export function requireEntryRun(name: string, entries: readonly Entry[]): void {
  let prev: Entry | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    requireInteger(`${name}[${i}].index`, e.index, 1);
    requireInteger(`${name}[${i}].term`, e.term, 1);
    if (e.type !== 0 && e.type !== 1) throw new StorageUsageError(`${name}[${i}].type is ${describe(e.type)}; expected 0 (Normal) or 1 (ConfChange)`);
    if (!(e.data instanceof Uint8Array)) throw new StorageUsageError(`${name}[${i}].data is ${describe(e.data)}; expected a Uint8Array`);
    if (prev) {
      if (e.index !== prev.index + 1) {
        throw new StorageUsageError(`${name}[${i}].index is ${e.index}; expected ${prev.index + 1} (entries must have consecutive indexes)`);
      }
      if (e.term < prev.term) {
        throw new StorageUsageError(`${name}[${i}].term is ${e.term}; expected at least ${prev.term} (terms never decrease along the log)`);
      }
    }
    prev = e;
  }
}

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`;
}
