const MiB = 1024 * 1024;

/**
 * Every default in one place, so the schema, the help text and the README
 * cannot disagree. With these alone a node is a one-member cluster on
 * localhost, on etcd's ports, keeping its data in `./data`.
 */
export const configDefaults = {
  /** The member id of a node started without a cluster list. */
  id: 1,
  clusterToken: 'raftkit',
  clusterState: 'new' as 'new' | 'existing',
  dataDir: './data',
  listen: {
    client: '127.0.0.1:2379',
    peer: '127.0.0.1:2380',
    metrics: '127.0.0.1:2381',
  },
  timing: {
    /** etcd's heartbeat interval: one heartbeat per tick. */
    tickMs: 100,
    heartbeatTicks: 1,
    /** 10 ticks = etcd's 1 s election timeout. */
    electionTicks: 10,
    /** The randomized timeout is drawn from `[electionTicks, electionTicks * 2)` unless set. */
    electionTicksMaxFactor: 2,
  },
  snapshot: {
    /**
     * etcd 3.6's `--snapshot-count`: the log is compacted every this many
     * applied entries, without copying the state; snapshots are built only
     * for followers that need one (docs/decisions/0005-snapshots-on-demand.md).
     */
    count: 10_000,
    /** etcd's snapshot catch-up entries. */
    catchupEntries: 5_000,
  },
  limits: {
    /** etcd's `--max-request-bytes`. */
    maxRequestBytes: 1.5 * MiB,
    /**
     * Room for one maximal client request plus the envelope of a peer
     * message, or one append batch, or one snapshot chunk — with headroom.
     */
    maxPeerMessageBytes: 4 * MiB,
    /** The Raft core's default batch size. */
    maxAppendBytes: 1 * MiB,
    maxInflightMessages: 256,
    maxUncommittedBytes: 64 * MiB,
    snapshotChunkBytes: 1 * MiB,
    /** etcd's `--max-txn-ops`: operations in one txn branch (and compares). */
    maxTxnOps: 128,
  },
  log: {
    level: 'info',
    format: 'auto',
  },
} as const;
