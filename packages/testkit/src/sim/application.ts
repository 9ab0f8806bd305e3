import type { MemoryNodeStorage } from '@raftkit/core/testing';
import type { NodeStateMachine } from '@raftkit/core';
import type { Model } from '../linearizability/model.js';
import type { Rng } from './rng.js';

/**
 * A state machine the simulator replicates, with the client workload that
 * exercises it and the sequential model its history is checked against.
 * Plug in your own to test your application on raftkit; {@link kvApplication}
 * is the default.
 *
 * `Disk` is the state machine's durable state: it survives a member's crash
 * and restart (the simulator keeps it), so the state machine must update it
 * atomically with its applied index.
 */
export interface SimApplication<Input, Output, Disk> {
  /** Short name for reports. */
  readonly name: string;
  /** The durable state of a member that has applied nothing. */
  initialDisk(): Disk;
  /**
   * A state machine over `disk`. Snapshots go into `storage`
   * (`storage.createSnapshot`) so the leader can send them. With
   * `onDemandSnapshots`, a state machine that updates `disk` atomically
   * with its applied index (as it must) implements `compactableIndex` with
   * that index: the log is then compacted without snapshots, and snapshots
   * are built only when a follower needs one. When `storage`'s log starts
   * past `disk` (a founding member's bootstrap snapshot, or a crash between
   * storing a snapshot and restoring it), the state machine must first
   * restore `storage.snapshot()`, as a real application does on restart.
   */
  createStateMachine(disk: Disk, storage: MemoryNodeStorage, options?: { onDemandSnapshots: boolean }): SimStateMachine<Input, Output>;
  /** The proposal payload for a write. */
  encode(input: Input): Uint8Array;
  /** True for operations served by a linearizable read instead of a proposal. */
  isRead(input: Input): boolean;
  /** The next operation of a client. */
  nextInput(rng: Rng, client: number): Input;
  /** A write and a read that show the cluster serves requests again (the liveness probe). */
  probe(): { write: Input; read: Input };
  /**
   * Reads that together observe the whole state. Once the cluster has
   * converged they are made through every member, linearizably, and join
   * the history: every acknowledged write must still be there at the end.
   */
  finalReads?(): Input[];
  /** The sequential specification for the linearizability check. */
  readonly model: Model<unknown, Input, Output>;
}

/** A replicated state machine as the simulator drives it. */
export interface SimStateMachine<Input, Output> extends NodeStateMachine<Output> {
  /** Serves a read from local state (after a linearizable read barrier). */
  read(input: Input): Output;
  /** A digest of the whole state, equal on members that applied the same entries. */
  fingerprint(): string;
  /** Called with every entry applied, for the cross-member state machine safety check. */
  onApplied?: (index: number, digest: string) => void;
}
