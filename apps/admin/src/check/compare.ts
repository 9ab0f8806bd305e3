/**
 * Deciding whether members hold the same key-value state. Hashes only say
 * something when taken at the same applied index, and under writes members
 * rarely sit at the same index at the same moment; so samples from several
 * rounds are kept, and members are compared at the highest index for which
 * every one of them has a sample.
 */

/** One member's hash at one applied index. */
export interface HashSample {
  id: number;
  address: string;
  appliedIndex: number;
  /** Hex SHA-256 of the member's key-value state. */
  hash: string;
  keyCount: number;
  revision: number;
}

/** A member that does not hold the state most members hold. */
export interface Divergence {
  sample: HashSample;
  /** The majority's hash, or undefined when no hash has a majority. */
  expected: HashSample | undefined;
  /** The members that hold the expected hash. */
  agreeing: number[];
}

/** The outcome of a comparison. */
export type Verdict =
  | { kind: 'consistent'; index: number; samples: HashSample[] }
  | { kind: 'diverged'; index: number; samples: HashSample[]; divergent: Divergence[] };

/** Samples gathered over rounds: member id → applied index → sample. */
export class HashSamples {
  private readonly byMember = new Map<number, Map<number, HashSample>>();

  /** Records a sample. */
  add(s: HashSample): void {
    let m = this.byMember.get(s.id);
    if (!m) this.byMember.set(s.id, (m = new Map()));
    m.set(s.appliedIndex, s);
  }

  /** Members with at least one sample. */
  members(): number[] {
    return [...this.byMember.keys()].sort((a, b) => a - b);
  }

  /** The highest applied index at which every member in `ids` has a sample. */
  commonIndex(ids: readonly number[]): number | undefined {
    const sets = ids.map((id) => this.byMember.get(id));
    if (sets.length === 0 || sets.some((s) => !s)) return undefined;
    const candidates = [...sets[0]!.keys()].filter((i) => sets.every((s) => s!.has(i)));
    return candidates.length ? Math.max(...candidates) : undefined;
  }

  /**
   * Compares the members in `ids` at their highest common index; undefined
   * when there is none yet.
   */
  compare(ids: readonly number[]): Verdict | undefined {
    const index = this.commonIndex(ids);
    if (index === undefined) return undefined;
    const samples = ids.map((id) => this.byMember.get(id)!.get(index)!);
    return judge(index, samples);
  }
}

/** Compares samples taken at one index: the hash most members hold is taken as the right one. */
export function judge(index: number, samples: HashSample[]): Verdict {
  const groups = new Map<string, HashSample[]>();
  for (const s of samples) groups.set(s.hash, [...(groups.get(s.hash) ?? []), s]);
  if (groups.size <= 1) return { kind: 'consistent', index, samples };
  const sorted = [...groups.values()].sort((a, b) => b.length - a.length);
  const top = sorted[0]!;
  const majority = top.length > (sorted[1]?.length ?? 0) ? top : undefined;
  const divergent = samples
    .filter((s) => !majority || s.hash !== majority[0]!.hash)
    .map((sample) => ({ sample, expected: majority?.[0], agreeing: majority ? majority.map((m) => m.id) : [] }));
  return { kind: 'diverged', index, samples, divergent };
}

/** The line that reports one diverging member. */
export function divergenceLine(d: Divergence): string {
  const s = d.sample;
  const where = `member ${s.id} (${s.address})`;
  if (!d.expected) return `${where}: hash ${s.hash.slice(0, 16)} at applied index ${s.appliedIndex} (${s.keyCount} keys, revision ${s.revision}); no hash is held by a majority`;
  const e = d.expected;
  return `${where}: hash ${s.hash.slice(0, 16)} at applied index ${s.appliedIndex} differs from ${e.hash.slice(0, 16)} held by ${d.agreeing.length === 1 ? 'member' : 'members'} ${d.agreeing.join(', ')} (keys ${s.keyCount} vs ${e.keyCount}, revision ${s.revision} vs ${e.revision})`;
}
