import type { Clock, NodeStorage, PersistUpdate } from '../node/interfaces.js';
import { MemoryStorage } from '../storage.js';
import type { ConfState } from '../types.js';

/**
 * A {@link NodeStorage} in memory, for tests and simulations. A persist takes
 * effect when its (virtual) latency has elapsed; {@link crash} makes writes
 * still in flight vanish, as an fsync interrupted by a power cut would.
 */
export class MemoryNodeStorage extends MemoryStorage implements NodeStorage {
  private generation = 0;
  /** Latency of the next persist in ms; a function to vary it (slow disks). */
  latency: number | (() => number) = 0;

  /** Empty storage (a member joining an existing cluster); with a clock, persists take their latency in its time. */
  constructor(private readonly clock?: Clock) {
    super();
  }

  /** A founding member's storage (see `bootstrapState`). */
  static founding(voters: number[], learners: number[] = [], clock?: Clock): MemoryNodeStorage {
    const s = new MemoryNodeStorage(clock);
    const base = MemoryStorage.withMembers(voters, learners);
    s.applySnapshot(base.snapshot());
    s.setHardState(base.initialState().hardState);
    return s;
  }

  /**
   * Applies the update (snapshot, entries, hard state, compaction) once its
   * latency has elapsed, and resolves then; a {@link crash} before that
   * loses it and the promise never settles.
   */
  persist(update: PersistUpdate): Promise<void> {
    const ms = typeof this.latency === 'function' ? this.latency() : this.latency;
    const gen = this.generation;
    const write = (): void => {
      if (gen !== this.generation) return;
      if (update.snapshot) this.applySnapshot(update.snapshot);
      this.append(update.entries);
      if (update.hardState) this.setHardState(update.hardState);
      if (update.compactTo !== undefined && update.compactTo > this.firstIndex() - 1) this.compact(update.compactTo);
    };
    if (ms <= 0 || !this.clock) {
      write();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.clock!.setTimer(ms, () => {
        write();
        if (gen === this.generation) resolve();
      });
    });
  }

  /** Loses every write still in flight; what completed stays. */
  crash(): void {
    this.generation++;
  }

  /** Records the membership a state machine applied (kept with the log for restarts). */
  saveConfState(cs: ConfState): void {
    this.setConfState(cs);
  }
}
