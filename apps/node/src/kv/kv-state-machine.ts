import { createHash } from 'node:crypto';
import { type AppliedEntry, type ConfState, type Entry, EntryType, type NodeStateMachine, type RaftLogger, type Snapshot, type SnapshotMetadata } from '@raftkit/core';
import type { RaftStorage } from '@raftkit/storage-lmdb';
import { applyMemberAttributes, applyMembershipChange } from '../cluster/registry.js';
import type { KvApplyResult } from '../services/kv-service.js';
import { type KvCommand, decodeCommand } from './commands.js';
import { lmdbTable, lmdbTableReader, readOnlyTable } from './lmdb-table.js';
import { KvError, MvccReader, MvccStore } from './mvcc.js';
import { AppliedSessions } from './sessions.js';
import type { KvTable } from './table.js';

const EMPTY = new Uint8Array(0);

/** The apply transaction's views, shared by every entry of one batch. */
interface ApplyBatch {
  table: KvTable;
  store: MvccStore;
  sessions: AppliedSessions;
}

/** A digest of the key-value data at one applied index, for cross-member checks. */
export interface StateHash {
  hash: string;
  appliedIndex: number;
  revision: number;
  keys: number;
}

/**
 * The replicated key-value store of the server: applies committed entries
 * to the MVCC store in the LMDB state table, in the same transaction that
 * records the applied index (and the membership, and the applied-proposal
 * sessions), so a restart neither re-applies nor skips an entry.
 */
export class KvStateMachine implements NodeStateMachine<KvApplyResult | undefined> {
  private membershipChanged = false;
  /** The membership as of the last applied entry (who may publish attributes). */
  private confState: ConfState | undefined;
  /**
   * The revision as of the last applied entry, kept so that reads need not
   * read it from LMDB twice per request. Set in the same turn as the apply
   * commits (no read can run between the two); dropped when a snapshot
   * replaces the state.
   */
  private revision: number | undefined;

  constructor(
    private readonly storage: RaftStorage,
    private readonly logger: RaftLogger,
    private readonly onApplied?: (index: number) => void,
  ) {}

  /**
   * True once after entries that changed the member registry (membership
   * changes, a restored snapshot) were applied, so callers re-read peer
   * addresses only when they may have changed.
   */
  takeMembershipChange(): boolean {
    const changed = this.membershipChanged;
    this.membershipChanged = false;
    return changed;
  }

  /**
   * The index of the last entry applied, read from the LMDB state table
   * where it is written in the same transaction as the data it describes.
   */
  appliedIndex(): number {
    return this.storage.stateMachine.appliedIndex();
  }

  /** The store as of the last applied entry (for reads). */
  reader(): MvccReader {
    const reader = new MvccReader(lmdbTableReader(this.storage.stateMachine), this.revision);
    this.revision = reader.revision();
    return reader;
  }

  /** A read-only table view (for read-only transactions). */
  readTable(): KvTable {
    return readOnlyTable(lmdbTableReader(this.storage.stateMachine));
  }

  /**
   * Applies a batch of committed entries, in order, in one LMDB
   * transaction that also moves the applied index to the last of them.
   * Returns one result per entry: the etcd response (or a deterministic
   * refusal) for a client command, undefined for no-ops, membership
   * changes, member attributes and proposals applied before. The
   * transaction is not synced: after a crash the data and applied index
   * roll back together and the durable log applies the entries again.
   */
  async apply(entries: AppliedEntry[]): Promise<Array<KvApplyResult | undefined>> {
    const results: Array<KvApplyResult | undefined> = new Array(entries.length);
    const first = entries[0]!.index;
    // The store applies entries by index; the payloads travel in `entries`.
    const raw: Entry[] = entries.map((e) => ({ index: e.index, term: e.term, type: EntryType.Normal, data: EMPTY }));
    const last = entries[entries.length - 1]!.index;
    // One view of the transaction for the whole batch: the store and the
    // sessions keep what every entry rewrites (the revision, the proposing
    // member's session) in memory and write it once, after the last entry.
    let batch: ApplyBatch | undefined;
    await this.storage.stateMachine.apply(raw, (entry, state) => {
      if (!batch) {
        const table = lmdbTable(state);
        batch = { table, store: new MvccStore(table), sessions: new AppliedSessions(table) };
      }
      try {
        return this.applyEntry(entries[entry.index - first]!, entry.index - first, batch, results);
      } finally {
        if (entry.index === last) {
          batch.store.flush();
          batch.sessions.flush();
        }
      }
      // Applied state need not wait for the disk: after a crash the applied
      // index rolls back with the data, and the durable log applies it again.
    }, { sync: false });
    // A batch that never looked at the revision (no-ops, membership) left it as it was.
    const revision = batch?.store.knownRevision();
    if (revision !== undefined) this.revision = revision;
    this.onApplied?.(last);
    return results;
  }

  private applyEntry(
    e: AppliedEntry,
    i: number,
    { table, store, sessions }: ApplyBatch,
    results: Array<KvApplyResult | undefined>,
  ): ConfState | undefined {
    if (e.kind === 'conf-change') {
      applyMembershipChange(table, e.confChange!);
      this.confState = e.confState;
      this.membershipChanged = true;
      return e.confState;
    }
    if (e.kind === 'noop') return undefined;
    if (e.proposal && !sessions.firstTime(e.proposal)) {
      this.logger.debug('skipping a proposal applied before', { index: e.index });
      return undefined;
    }
    const cmd = decodeCommand(e.payload);
    if (cmd.type === 'member-attributes') {
      // Published before a removal, applied after it: the member stays gone.
      if (isMember(this.membership(), cmd.request.id)) {
        applyMemberAttributes(table, cmd.request);
        this.membershipChanged = true;
      }
      return undefined;
    }
    results[i] = this.applyCommand(store, cmd);
    return undefined;
  }

  private membership(): ConfState {
    this.confState ??= this.storage.log.initialState().confState;
    return this.confState;
  }

  private applyCommand(store: MvccStore, cmd: Exclude<KvCommand, { type: 'member-attributes' }>): KvApplyResult {
    try {
      switch (cmd.type) {
        case 'put':
          return store.put(cmd.request);
        case 'delete-range':
          return store.deleteRange(cmd.request);
        case 'txn':
          return store.txn(cmd.request);
        case 'compact':
          return store.compact(cmd.request.revision);
      }
    } catch (e) {
      // Deterministic refusals (a compacted revision...) are results, the same on every member.
      if (e instanceof KvError) return { error: e };
      throw e;
    }
  }

  /**
   * The key-value data and the applied index live in the log's own LMDB
   * environment, so the log may be compacted through what was applied
   * without a snapshot; snapshots are built only for followers that need one.
   */
  compactableIndex(): number {
    return this.storage.stateMachine.appliedIndex();
  }

  /**
   * Writes a durable snapshot file of the key-value data and membership as
   * of the applied index (which is what `_meta` describes), read from one
   * consistent LMDB view while applying goes on.
   */
  async createSnapshot(_meta: SnapshotMetadata): Promise<void> {
    await this.storage.stateMachine.createSnapshot();
  }

  /**
   * Replaces the key-value data with the snapshot the leader sent (already
   * stored and persisted into the log), moving the applied index and
   * membership to the snapshot's, and forgets what was cached about the
   * old state. A crash part-way is resumed at the next start.
   */
  async restoreSnapshot(snapshot: Snapshot): Promise<void> {
    await this.storage.stateMachine.restoreFromSnapshot(snapshot.metadata);
    this.revision = undefined;
    this.confState = undefined;
    this.membershipChanged = true;
  }

  /**
   * A SHA-256 over the key-value data (revision, live keys, history) as of
   * the applied index. Members that applied the same entries have the same
   * hash; the member registry is left out (addresses may be local views).
   */
  hash(): StateHash {
    const sm = this.storage.stateMachine;
    const h = createHash('sha256');
    let keys = 0;
    const appliedIndex = sm.appliedIndex();
    for (const r of sm.range({ start: Uint8Array.of(0x00), end: Uint8Array.of(0x03) })) {
      const len = Buffer.alloc(8);
      len.writeUInt32BE(r.key.length, 0);
      len.writeUInt32BE(r.value.length, 4);
      h.update(len).update(r.key).update(r.value);
      if (r.key[0] === 0x01) keys++;
    }
    return { hash: h.digest('hex'), appliedIndex, revision: this.reader().revision(), keys };
  }
}

function isMember(cs: ConfState, id: number): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id) || cs.votersOutgoing.includes(id) || cs.learnersNext.includes(id);
}
