/**
 * Remembers which proposals were applied, in the replicated state itself
 * (Raft thesis §6.3): a network or a retrying member can get one proposal
 * into the log twice, and it must take effect once. One small record per
 * proposing member session (member id + epoch) holds the highest sequence
 * number applied and a bitmap of the 64 below it, so proposals that overtake
 * each other are still each applied once.
 *
 * Layout: 0x04 | f64 member | u32 epoch → u32 max seq | u32 bits high | u32 bits low.
 */
import type { ProposalId } from '@raftkit/core';
import type { KvTable } from './table.js';

const PREFIX = 0x04;
const WINDOW = 64;

function sessionKey(member: number, epoch: number): Uint8Array {
  const k = new Uint8Array(13);
  const v = new DataView(k.buffer);
  k[0] = PREFIX;
  v.setFloat64(1, member);
  v.setUint32(9, epoch);
  return k;
}

interface Session {
  max: number;
  /** Bit i set: sequence max-1-i was applied. */
  bits: bigint;
}

/**
 * Applied-proposal tracking over the state table; call {@link firstTime} for
 * every proposal applied. One instance serves a batch of entries applied in
 * one transaction: it keeps the sessions it touched in memory and writes
 * them once, in {@link flush}, which the caller runs before the transaction
 * commits.
 */
export class AppliedSessions {
  private readonly touched = new Map<string, { key: Uint8Array; session: Session; dirty: boolean }>();

  constructor(private readonly table: KvTable) {}

  /** True (and recorded) the first time proposal `id` is applied; false for a repeat. */
  firstTime(id: ProposalId): boolean {
    const slot = this.slot(id.member, id.epoch);
    const s = slot.session;
    if (id.seq > s.max) {
      const shift = id.seq - s.max;
      // The old max becomes bit shift-1 of the window below the new max.
      s.bits = shift >= WINDOW ? 0n : ((s.bits << BigInt(shift)) | (s.max > 0 ? 1n << BigInt(shift - 1) : 0n)) & ((1n << BigInt(WINDOW)) - 1n);
      s.max = id.seq;
      slot.dirty = true;
      return true;
    }
    if (id.seq === s.max) return false;
    const offset = s.max - 1 - id.seq;
    // Too old to tell: treat as applied, so it is never applied twice.
    if (offset >= WINDOW) return false;
    const bit = 1n << BigInt(offset);
    if (s.bits & bit) return false;
    s.bits |= bit;
    slot.dirty = true;
    return true;
  }

  /** Writes the sessions changed since the last flush. */
  flush(): void {
    for (const slot of this.touched.values()) {
      if (!slot.dirty) continue;
      this.write(slot.key, slot.session);
      slot.dirty = false;
    }
  }

  private slot(member: number, epoch: number): { key: Uint8Array; session: Session; dirty: boolean } {
    const name = `${member}/${epoch}`;
    let slot = this.touched.get(name);
    if (!slot) {
      const key = sessionKey(member, epoch);
      slot = { key, session: this.read(key), dirty: false };
      this.touched.set(name, slot);
    }
    return slot;
  }

  private read(key: Uint8Array): Session {
    const b = this.table.get(key);
    if (!b) return { max: 0, bits: 0n };
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { max: v.getUint32(0), bits: (BigInt(v.getUint32(4)) << 32n) | BigInt(v.getUint32(8)) };
  }

  private write(key: Uint8Array, s: Session): void {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, s.max);
    v.setUint32(4, Number(s.bits >> 32n));
    v.setUint32(8, Number(s.bits & 0xffffffffn));
    this.table.put(key, b);
  }
}
