import { type AppliedEntry, type DeduplicatorState, ProposalDeduplicator, type Snapshot, type SnapshotMetadata } from '@raftkit/core';
import type { MemoryNodeStorage } from '@raftkit/core/testing';
import { type KvInput, type KvOutput, kvModel } from '../linearizability/kv-model.js';
import type { SimApplication, SimStateMachine } from './application.js';
import type { Rng } from './rng.js';

/** The durable state of the key-value state machine. */
export interface KvDisk {
  /** The stored value of each key; an absent key reads as null. */
  data: Map<string, string>;
  /** Index of the last entry applied to `data`, kept with it so a restart neither skips nor repeats one. */
  applied: number;
  /** Proposals already applied, so a client's retry of one is not applied twice. */
  dedup: ProposalDeduplicator;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The simulator's key-value store: read, write, compare-and-set and delete on a few keys. */
export class KvStateMachine implements SimStateMachine<KvInput, KvOutput> {
  /**
   * Called after each entry is applied with its index and a digest of what
   * was applied there (the proposal's identity and operation, `duplicate`
   * for a retry applied before, or the entry kind), for the cross-member
   * state machine safety check. The simulator sets it; unset, nothing is told.
   */
  onApplied?: (index: number, digest: string) => void;
  /** Present with on-demand snapshots: `disk` survives crashes, so the log may be compacted through it. */
  compactableIndex?: () => number;

  constructor(
    private readonly disk: KvDisk,
    private readonly storage: MemoryNodeStorage,
    onDemandSnapshots = false,
  ) {
    if (onDemandSnapshots) this.compactableIndex = () => this.disk.applied;
    // The log may start past the state (a founding member's bootstrap
    // snapshot, or a crash between storing a snapshot from the leader and
    // restoring it): catch up from the stored snapshot before serving, as a
    // real application does on restart.
    if (disk.applied < storage.firstIndex() - 1) this.restore(storage.snapshot());
  }

  /** The index of the last entry applied, as recorded in the member's {@link KvDisk}. */
  appliedIndex(): number {
    return this.disk.applied;
  }

  /**
   * Applies committed entries in order and returns one result per entry:
   * the value read, whether a compare-and-set succeeded, or null for a write,
   * a delete, a duplicate proposal and a configuration change (whose
   * configuration is stored in `storage`).
   */
  apply(entries: AppliedEntry[]): KvOutput[] {
    const out: KvOutput[] = [];
    for (const e of entries) {
      let result: KvOutput = null;
      let digest = `${e.kind}`;
      if (e.kind === 'conf-change') {
        this.storage.saveConfState(e.confState!);
      } else if (e.kind === 'normal' && (!e.proposal || this.disk.dedup.firstTime(e.proposal, e.index))) {
        const op = JSON.parse(decoder.decode(e.payload)) as KvInput;
        result = this.execute(op);
        digest = `${e.proposal?.member}:${e.proposal?.epoch}:${e.proposal?.seq}:${JSON.stringify(op)}`;
      } else if (e.kind === 'normal') {
        digest = 'duplicate';
      }
      this.disk.applied = e.index;
      this.onApplied?.(e.index, digest);
      out.push(result);
    }
    return out;
  }

  private execute(op: KvInput): KvOutput {
    const d = this.disk.data;
    switch (op.op) {
      case 'write':
        d.set(op.key, op.value);
        return null;
      case 'delete':
        d.delete(op.key);
        return null;
      case 'cas': {
        const current = d.get(op.key) ?? null;
        if (current !== op.expected) return false;
        d.set(op.key, op.value);
        return true;
      }
      case 'read':
        return d.get(op.key) ?? null;
    }
  }

  /** The current value of `input.key`, or null when it has none; call only after a linearizable read barrier. */
  read(input: KvInput): KvOutput {
    return this.disk.data.get(input.key) ?? null;
  }

  /** Every key and value, sorted by key, as JSON: equal on members that applied the same entries. */
  fingerprint(): string {
    return JSON.stringify([...this.disk.data].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Stores the keys and the deduplication state as a snapshot at `meta.index` in the member's storage. */
  async createSnapshot(meta: SnapshotMetadata): Promise<void> {
    const body = { data: [...this.disk.data], dedup: this.disk.dedup.toState() };
    this.storage.createSnapshot(meta.index, meta.confState, encoder.encode(JSON.stringify(body)));
  }

  /** Replaces the keys, the deduplication state and the applied index with the snapshot's; empty data is the bootstrap snapshot (no keys). */
  async restoreSnapshot(snapshot: Snapshot): Promise<void> {
    this.restore(snapshot);
  }

  private restore(snapshot: Snapshot): void {
    // Empty data is the bootstrap snapshot: the initial, empty state.
    const text = snapshot.data.length > 0 ? decoder.decode(snapshot.data) : '{"data":[],"dedup":null}';
    const body = JSON.parse(text) as { data: Array<[string, string]>; dedup: DeduplicatorState | null };
    this.disk.data = new Map(body.data);
    this.disk.dedup = body.dedup ? ProposalDeduplicator.fromState(body.dedup) : new ProposalDeduplicator();
    this.disk.applied = snapshot.metadata.index;
  }
}

/** Options of {@link kvApplication}. */
export interface KvWorkloadOptions {
  /** Keys the clients work on. Few keys means much contention. Default 3. */
  keys?: number;
  /** Share of reads among operations. Default 0.4. */
  readRatio?: number;
  /** Share of compare-and-set among writes. Default 0.4. */
  casRatio?: number;
}

/** The default simulated application: a key-value store under a read/write/cas workload. */
export function kvApplication(options: KvWorkloadOptions = {}): SimApplication<KvInput, KvOutput, KvDisk> {
  const keys = options.keys ?? 3;
  const readRatio = options.readRatio ?? 0.4;
  const casRatio = options.casRatio ?? 0.4;
  let counter = 0;
  return {
    name: 'kv',
    initialDisk: () => ({ data: new Map(), applied: 0, dedup: new ProposalDeduplicator() }),
    createStateMachine: (disk, storage, options) => new KvStateMachine(disk, storage, options?.onDemandSnapshots),
    encode: (input) => encoder.encode(JSON.stringify(input)),
    isRead: (input) => input.op === 'read',
    probe: () => ({ write: { op: 'write', key: 'k0', value: `probe-${counter++}` }, read: { op: 'read', key: 'k0' } }),
    finalReads: () => Array.from({ length: keys }, (_, k): KvInput => ({ op: 'read', key: `k${k}` })),
    nextInput: (rng: Rng, client: number): KvInput => {
      const key = `k${rng.int(0, keys)}`;
      if (rng.chance(readRatio)) return { op: 'read', key };
      const value = `c${client}-${counter++}`;
      if (rng.chance(casRatio)) {
        const expected = rng.chance(0.2) ? null : `c${rng.int(0, 8)}-${Math.max(0, counter - rng.int(1, 20))}`;
        return { op: 'cas', key, expected, value };
      }
      if (rng.chance(0.05)) return { op: 'delete', key };
      return { op: 'write', key, value };
    },
    model: kvModel as SimApplication<KvInput, KvOutput, KvDisk>['model'],
  };
}
