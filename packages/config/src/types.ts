import type { NetAddress } from './address.js';

/** How much a member logs. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How log lines are written; `auto` leaves the choice to the app (pretty on a terminal, JSON otherwise). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * One member of the cluster. Ids are explicit, never derived from
 * addresses, so two members may reach a third through different addresses
 * (a proxy, a NAT) and an address may change without changing identity.
 */
export interface ClusterMember {
  /** Positive integer, unique in the cluster; it is the Raft member id. */
  id: number;
  /** A label for humans (status tables, logs); unique when given. */
  name?: string;
  /** Where the other members send Raft messages to this member. */
  peer: NetAddress;
  /** Where clients reach this member's key-value and admin services. */
  client?: NetAddress;
  /** Where this member serves Prometheus metrics. */
  metrics?: NetAddress;
}

/** Server-side TLS of one listener (clients or peers), also used to dial peers. */
export interface TlsSettings {
  /** PEM certificate chain, absolute path. */
  certFile: string;
  /** PEM private key of `certFile`, absolute path. */
  keyFile: string;
  /** PEM CA bundle that remote certificates are checked against, absolute path. */
  trustedCaFile?: string;
  /** Whether the remote side must present a certificate signed by `trustedCaFile` (mTLS). */
  clientCertAuth: boolean;
}

/** TLS between members: each checks the others' certificates, so the CA is always given. */
export interface PeerTlsSettings extends TlsSettings {
  /**
   * PEM CA bundle that signs every member's certificate, absolute path
   * (`--peer-trusted-ca-file`). A member checks the certificate of each
   * peer it dials against it, and so does a peer that is dialed when
   * `clientCertAuth` is true. Required whenever peer TLS is on: no default.
   */
  trustedCaFile: string;
}

/**
 * Raft timing. The core counts ticks; the server turns the clock into ticks
 * every `tickMs`. Election timeouts are drawn from
 * `[electionTicks, electionTicksMax)` ticks.
 */
export interface TimingSettings {
  /** Length of one tick in milliseconds (`--tick-ms`); every other timing is a whole number of ticks. Default 100. */
  tickMs: number;
  /**
   * Ticks between two heartbeats of a leader to each follower. Given as
   * `--heartbeat-ticks`, or in ms as `--heartbeat-interval` (a multiple of
   * `tickMs`, converted here). Default 1 (100 ms at the default tick).
   */
  heartbeatTicks: number;
  /**
   * The shortest election timeout in ticks: a follower that hears no leader
   * for a randomized timeout of at least this many ticks starts an election.
   * Always more than `heartbeatTicks`. Given as `--election-ticks`, or in ms
   * as `--election-timeout`. Default 10 (1 s at the default tick, etcd's).
   */
  electionTicks: number;
  /**
   * Exclusive upper bound of the randomized election timeout, in ticks;
   * always more than `electionTicks`. Given as `--election-ticks-max`, or
   * in ms as `--election-timeout-max`. Default twice `electionTicks`.
   */
  electionTicksMax: number;
}

/** Size and flow limits. */
export interface LimitSettings {
  /** Largest client request accepted (etcd's `--max-request-bytes`). */
  maxRequestBytes: number;
  /** Largest gRPC message between peers, sent or received. */
  maxPeerMessageBytes: number;
  /** Byte budget of the entries in one append message (the core's `maxSizePerMsg`). */
  maxAppendBytes: number;
  /** Append messages in flight to one follower (the core's `maxInflightMsgs`). */
  maxInflightMessages: number;
  /** Uncommitted log a leader accepts before refusing proposals (the core's `maxUncommittedEntriesSize`). */
  maxUncommittedBytes: number;
  /** Size of the pieces a snapshot is streamed in. */
  snapshotChunkBytes: number;
  /** Most operations in one branch of a transaction, and most compares (etcd's `--max-txn-ops`). */
  maxTxnOps: number;
}

/**
 * The resolved configuration of one member: every default filled in,
 * addresses parsed, paths absolute (when loaded with `loadConfig`), the
 * local member identified and the whole member list at hand.
 */
export interface NodeConfig {
  /** The local member's id. */
  id: number;
  /** The local member, also found in `members`. */
  self: ClusterMember;
  /** Every member of the initial cluster, in the order given. */
  members: ClusterMember[];
  /**
   * Where this member dials the peers listed here, whatever the cluster's
   * member registry says: for a member that reaches a peer through an
   * address of its own (a proxy, a NAT). Other members are dialed at the
   * peer address the registry records (set by `member add`/`member update`),
   * or, before it records one, at the address in `members`.
   */
  peerAddressOverrides: Array<{ id: number; peer: NetAddress }>;
  /** Names the cluster; peers refuse messages carrying another token, so two clusters cannot mix. */
  clusterToken: string;
  /**
   * `new`: this member founds the cluster listed in `members` (used only
   * when its data directory is empty). `existing`: it joins a running
   * cluster and starts empty, catching up from a snapshot once the cluster
   * adds it (etcd's `--initial-cluster-state`).
   */
  clusterState: 'new' | 'existing';
  /** Where the log, snapshots and key-value data live; `{id}` already replaced by the member id. */
  dataDir: string;
  /** What this process binds. Several addresses per service are allowed, like etcd's URL lists. */
  listen: {
    client: NetAddress[];
    peer: NetAddress[];
    /** Empty when metrics are switched off. */
    metrics: NetAddress[];
  };
  /**
   * Where clients are told to reach this member: as given, else the local
   * member's client address, else the client listeners (a port 0 listener
   * is known only once bound, so the server fills that in).
   */
  advertise: {
    client: NetAddress[];
  };
  /** Raft timing, in ticks of `timing.tickMs` ms, whichever form (ticks or ms) it was given in. */
  timing: TimingSettings;
  /** When the log is compacted and how much of it is kept for followers that fall behind. */
  snapshot: {
    /** Applied entries between two snapshots. */
    count: number;
    /** Entries kept behind a snapshot so a slow follower can catch up without receiving one. */
    catchupEntries: number;
  };
  /** Size and flow limits of requests, peer messages and replication. */
  limits: LimitSettings;
  /** `null` means plain text on that listener. */
  tls: {
    client: TlsSettings | null;
    peer: PeerTlsSettings | null;
  };
  /** `token: null` means clients need no token. */
  auth: {
    token: string | null;
  };
  /** How the member logs. */
  log: {
    /** The least severe level written. Default `info`. */
    level: LogLevel;
    /** How lines are written. Default `auto`. */
    format: LogFormat;
  };
}
