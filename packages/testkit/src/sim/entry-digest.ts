import type { Entry } from '@raftkit/core';

const digests = new WeakMap<Entry, string>();

/**
 * A stable identity of an entry's content (term, type and a hash of the
 * data), cached per entry object: entries are immutable once appended, and
 * the same objects travel from the unstable log to storage.
 */
export function entryDigest(e: Entry): string {
  let d = digests.get(e);
  if (d === undefined) {
    let h = 2166136261;
    for (let i = 0; i < e.data.length; i++) h = Math.imul(h ^ e.data[i]!, 16777619);
    d = `${e.term}/${e.type}/${e.data.length}/${(h >>> 0).toString(16)}`;
    digests.set(e, d);
  }
  return d;
}
