import type { NodeConfig } from '@raftkit/config';
import type { ConfState } from '@raftkit/core';
import type { PeerAddress } from '@raftkit/transport-grpc';
import type { KvTableReader } from '../kv/table.js';
import { type MemberInfo, listMembers, readMember } from './registry.js';

/** The part of the transport that {@link MemberDirectory.syncTransport} manages. */
export interface PeerSet {
  peerIds(): number[];
  setPeer(peer: PeerAddress): void;
  removePeer(id: number): void;
}

/** Every voter and learner of `cs`, joint configurations included. */
function memberIds(cs: ConfState): number[] {
  return [...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext];
}

function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Removes an http(s):// prefix so gRPC can dial the address. */
function dialable(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

/**
 * Where the members are. The replicated registry is authoritative for a
 * member once it records a peer address for it (`member add`, `member
 * update --peer`), so an address changed through the API reaches every
 * member; the configured member list only seeds the members the registry
 * has no address for (the founders, as etcd's --initial-cluster matters only
 * at bootstrap). This member's `peerAddressOverrides` come last: addresses
 * it alone dials a peer at (a proxy, a NAT), whatever the cluster records.
 *
 * Only current members are dialed: the voters and learners of the applied
 * configuration. A member removed from the cluster stays out of the
 * transport even if a member list or an override still names it.
 */
export class MemberDirectory {
  private localClientUrls: string[] = [];

  constructor(
    private readonly config: NodeConfig,
    private readonly table: () => KvTableReader,
  ) {}

  /** The client addresses this member actually listens on (ports resolved). */
  setLocalClientUrls(urls: string[]): void {
    this.localClientUrls = urls;
  }

  private registry(): MemberInfo[] {
    return listMembers(this.table());
  }

  /**
   * The peer address of every other member of `cs` (the applied
   * configuration), in ascending id order; members with no known address
   * are left out. A configuration with no voters is one this member has not
   * learned yet (it joins with an empty data directory and waits for the
   * leader's snapshot): then every member it was configured with is dialed,
   * so it can answer the leader.
   */
  peerAddresses(cs: ConfState): PeerAddress[] {
    const known = new Map<number, string>();
    for (const m of this.config.members) known.set(m.id, hostPort(m.peer));
    for (const r of this.registry()) if (r.peerUrls[0]) known.set(r.id, dialable(r.peerUrls[0]));
    for (const o of this.config.peerAddressOverrides) known.set(o.id, hostPort(o.peer));
    const ids = cs.voters.length + cs.votersOutgoing.length > 0 ? memberIds(cs) : this.config.members.map((m) => m.id);
    const out: PeerAddress[] = [];
    for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
      const address = known.get(id);
      if (id !== this.config.id && address !== undefined) out.push({ id, address });
    }
    return out;
  }

  /**
   * Makes `transport` dial exactly the peers of `cs`: adds new members,
   * re-addresses moved ones and forgets removed ones.
   */
  syncTransport(transport: PeerSet, cs: ConfState): void {
    const want = this.peerAddresses(cs);
    const ids = new Set(want.map((p) => p.id));
    for (const id of transport.peerIds()) if (!ids.has(id)) transport.removePeer(id);
    for (const p of want) transport.setPeer(p);
  }

  /** Name and addresses of member `id`, as the cluster records them (the configured list for what it does not). */
  info(id: number): MemberInfo {
    const reg = readMember(this.table(), id);
    const local = this.config.members.find((m) => m.id === id);
    const clientUrls =
      id === this.config.id && this.localClientUrls.length > 0
        ? this.config.advertise.client.filter((a) => a.port !== 0).map(hostPort).concat(this.localClientUrls).slice(0, 1)
        : reg?.clientUrls.length
          ? reg.clientUrls
          : local?.client
            ? [hostPort(local.client)]
            : [];
    return {
      id,
      name: reg?.name || local?.name || `member-${id}`,
      peerUrls: reg?.peerUrls.length ? reg.peerUrls : local ? [hostPort(local.peer)] : [],
      clientUrls,
    };
  }

  /** Every voter and learner of `cs`, with what is known of them. */
  members(cs: ConfState): Array<MemberInfo & { isLearner: boolean }> {
    const voters = new Set([...cs.voters, ...cs.votersOutgoing]);
    const learners = new Set([...cs.learners, ...cs.learnersNext]);
    const ids = [...new Set([...voters, ...learners])].sort((a, b) => a - b);
    return ids.map((id) => ({ ...this.info(id), isLearner: !voters.has(id) }));
  }
}
