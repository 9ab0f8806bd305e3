/**
 * Who the members are beyond their Raft ids: names and addresses. Records
 * live in the replicated state (so a joining member learns them from the
 * snapshot) and change through the contexts of membership changes: adding a
 * member records its addresses, `UpdateNode` changes them without removing
 * and re-adding the member, removing it deletes them and records its id as
 * removed for good (etcd's `removed` set): Raft requires a member that lost
 * its state to come back under a new id, so an id is never added twice. A
 * member publishes its own name and client addresses with a normal proposal.
 *
 * Layout: 0x03 | f64 member id → JSON {@link MemberInfo};
 *         0x05 | f64 member id → 0x01 (the id was removed).
 */
import { type ConfChange, ConfChangeType } from '@raftkit/core';
import type { KvTable, KvTableReader } from '../kv/table.js';

/** What the cluster knows of one member. */
export interface MemberInfo {
  id: number;
  name: string;
  /** `host:port` (or URL) other members reach it at. */
  peerUrls: string[];
  /** `host:port` (or URL) clients reach it at. */
  clientUrls: string[];
}

const PREFIX = 0x03;
const REMOVED = 0x05;
const REMOVED_MARK = Uint8Array.of(1);

function idKey(prefix: number, id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = prefix;
  new DataView(k.buffer).setFloat64(1, id);
  return k;
}

function memberKey(id: number): Uint8Array {
  return idKey(PREFIX, id);
}

/** The context a membership change carries: the member's metadata. */
export interface MemberContext {
  name?: string;
  peerUrls?: string[];
  clientUrls?: string[];
}

/** Encodes member metadata for a ConfChange context. */
export function encodeMemberContext(ctx: MemberContext): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(ctx));
}

function decodeMemberContext(bytes: Uint8Array): MemberContext {
  if (bytes.length === 0) return {};
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return v && typeof v === 'object' ? (v as MemberContext) : {};
  } catch {
    // A context that is not ours (another tool proposed the change): nothing to record.
    return {};
  }
}

/** Applies the registry side of a committed membership change, inside the apply transaction. */
export function applyMembershipChange(table: KvTable, cc: ConfChange): void {
  const ctx = decodeMemberContext(cc.context);
  for (const change of cc.changes) {
    const key = memberKey(change.nodeId);
    if (change.type === ConfChangeType.RemoveNode) {
      table.remove(key);
      table.put(idKey(REMOVED, change.nodeId), REMOVED_MARK);
      continue;
    }
    const old = readMember(table, change.nodeId);
    const info: MemberInfo = {
      id: change.nodeId,
      name: ctx.name ?? old?.name ?? '',
      peerUrls: ctx.peerUrls ?? old?.peerUrls ?? [],
      clientUrls: ctx.clientUrls ?? old?.clientUrls ?? [],
    };
    table.put(key, new TextEncoder().encode(JSON.stringify(info)));
  }
}

/**
 * Records the name and client addresses a member published about itself,
 * keeping its peer addresses (those change only through membership changes).
 */
export function applyMemberAttributes(table: KvTable, attrs: { id: number; name?: string; clientUrls: string[] }): void {
  const old = readMember(table, attrs.id);
  const info: MemberInfo = { id: attrs.id, name: attrs.name ?? old?.name ?? '', peerUrls: old?.peerUrls ?? [], clientUrls: attrs.clientUrls };
  table.put(memberKey(attrs.id), new TextEncoder().encode(JSON.stringify(info)));
}

/** The recorded metadata of one member. */
export function readMember(table: KvTableReader, id: number): MemberInfo | undefined {
  const b = table.get(memberKey(id));
  return b ? (JSON.parse(new TextDecoder().decode(b)) as MemberInfo) : undefined;
}

/** Every recorded member. */
export function listMembers(table: KvTableReader): MemberInfo[] {
  const out: MemberInfo[] = [];
  for (const r of table.range({ start: Uint8Array.of(PREFIX), end: Uint8Array.of(PREFIX + 1) })) {
    out.push(JSON.parse(new TextDecoder().decode(r.value)) as MemberInfo);
  }
  return out;
}

/** Whether member `id` was removed from the cluster (and so may not be added again). */
export function isRemoved(table: KvTableReader, id: number): boolean {
  return table.get(idKey(REMOVED, id)) !== undefined;
}

/** Every id removed from the cluster, in ascending order. */
export function removedIds(table: KvTableReader): number[] {
  const out: number[] = [];
  for (const r of table.range({ start: Uint8Array.of(REMOVED), end: Uint8Array.of(REMOVED + 1) })) {
    out.push(new DataView(r.key.buffer, r.key.byteOffset, r.key.byteLength).getFloat64(1));
  }
  return out;
}
