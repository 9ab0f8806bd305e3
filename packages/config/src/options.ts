import { configDefaults as d } from './defaults.js';

/** How the text of a flag or environment variable becomes a field value. */
export type OptionKind =
  /** A whole number. */
  | 'integer'
  /** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`); a bare flag means true. */
  | 'boolean'
  /** Text taken as is. */
  | 'string'
  /** A file or directory; relative paths are taken from the working directory. */
  | 'path'
  /** Comma-separated addresses. */
  | 'addresses'
  /** Comma-separated `id=host:port` pairs. */
  | 'members';

/** One setting that can be given as a flag and as an environment variable as well as in the file. */
export interface ConfigOption {
  /** The field in the file and in `NodeConfig` input, dotted (`timing.tickMs`); absent for `--config`. */
  path: string | undefined;
  /** The command-line flag, with its dashes. Named after etcd's where the concept is the same. */
  flag: `--${string}`;
  /** The environment variable: `RAFTKIT_` and the field path in upper snake case. */
  env: `RAFTKIT_${string}`;
  /** How the flag's or the variable's text is turned into the field's value. */
  kind: OptionKind;
  /** Placeholder for the value in help text. */
  valueName: string;
  /** What the setting does, one sentence. */
  description: string;
  /** The default as shown to users; `undefined` when unset by default. */
  defaultText: string | undefined;
  /** Heading it is listed under in help. */
  group: 'General' | 'Cluster' | 'Addresses' | 'Timing' | 'Snapshots' | 'Limits' | 'TLS' | 'Auth' | 'Logging';
  /** Values are never echoed back in errors. */
  secret?: boolean;
}

/**
 * `timing.tickMs` → `RAFTKIT_TIMING_TICK_MS`: each dot becomes an
 * underscore and each camel-case hump starts a new word.
 */
export function envVarName(path: string): `RAFTKIT_${string}` {
  const words = path.split('.').map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase());
  return `RAFTKIT_${words.join('_')}`;
}

type Spec = Omit<ConfigOption, 'env'>;

function option(spec: Spec): ConfigOption {
  return { ...spec, env: spec.path === undefined ? 'RAFTKIT_CONFIG' : envVarName(spec.path) };
}

const bytes = (n: number): string => `${n} (${n / 1024 / 1024} MiB)`;

/**
 * Every flag and environment variable, in help order. An app can feed this
 * table to its own argument parser; `loadConfig` uses it to read flags and
 * environment, and `formatConfigHelp` to describe them.
 */
export const configOptions: readonly ConfigOption[] = [
  option({
    path: undefined,
    flag: '--config',
    kind: 'path',
    valueName: 'FILE',
    group: 'General',
    description: 'Read settings from a YAML or JSON file; flags and environment variables override it.',
    defaultText: undefined,
  }),
  option({
    path: 'dataDir',
    flag: '--data-dir',
    kind: 'path',
    valueName: 'DIR',
    group: 'General',
    description: 'Where the log, snapshots and data live; {id} is replaced by the member id.',
    defaultText: d.dataDir,
  }),
  option({
    path: 'id',
    flag: '--id',
    kind: 'integer',
    valueName: 'N',
    group: 'Cluster',
    description: "This member's id; with a member list, it picks the local member from it.",
    defaultText: `${d.id}, or the only member listed`,
  }),
  option({
    path: 'name',
    flag: '--name',
    kind: 'string',
    valueName: 'NAME',
    group: 'Cluster',
    description: "This member's name for people (status tables, member list); published to the cluster at start.",
    defaultText: "the name in the member's entry, else none (the name given at member add stays)",
  }),
  option({
    path: 'members',
    flag: '--initial-cluster',
    kind: 'members',
    valueName: 'ID=ADDR,...',
    group: 'Cluster',
    description: 'Every member as id=peer-address, comma-separated (client addresses need the file).',
    defaultText: 'this member alone, at its peer listener',
  }),
  option({
    path: 'clusterState',
    flag: '--initial-cluster-state',
    kind: 'string',
    valueName: 'STATE',
    group: 'Cluster',
    description: "'new' to found the listed cluster, 'existing' to join a running one (added with raftctl member add).",
    defaultText: d.clusterState,
  }),
  option({
    path: 'clusterToken',
    flag: '--initial-cluster-token',
    kind: 'string',
    valueName: 'TOKEN',
    group: 'Cluster',
    description: 'Names the cluster; peers of another cluster are refused.',
    defaultText: d.clusterToken,
  }),
  option({
    path: 'listen.client',
    flag: '--listen-client-urls',
    kind: 'addresses',
    valueName: 'URLS',
    group: 'Addresses',
    description: 'Addresses to serve the key-value, admin and health services on.',
    defaultText: `the member's client address, else ${d.listen.client}`,
  }),
  option({
    path: 'listen.peer',
    flag: '--listen-peer-urls',
    kind: 'addresses',
    valueName: 'URLS',
    group: 'Addresses',
    description: 'Addresses to serve the peer (Raft) service on.',
    defaultText: `the member's peer address, else ${d.listen.peer}`,
  }),
  option({
    path: 'listen.metrics',
    flag: '--listen-metrics-urls',
    kind: 'addresses',
    valueName: 'URLS',
    group: 'Addresses',
    description: 'Addresses to serve Prometheus metrics on over HTTP; empty for none.',
    defaultText: `the member's metrics address, else ${d.listen.metrics}`,
  }),
  option({
    path: 'advertise.client',
    flag: '--advertise-client-urls',
    kind: 'addresses',
    valueName: 'URLS',
    group: 'Addresses',
    description: 'Addresses clients are told to use for this member.',
    defaultText: "the member's client address, else the client listeners",
  }),
  option({
    path: 'peerAddressOverrides',
    flag: '--peer-address-override',
    kind: 'members',
    valueName: 'ID=ADDR,...',
    group: 'Addresses',
    description: 'Dial these peers at these addresses instead of the ones the cluster records (a proxy or NAT in between).',
    defaultText: 'none: peers are dialed where the cluster records them',
  }),
  option({
    path: 'timing.tickMs',
    flag: '--tick-ms',
    kind: 'integer',
    valueName: 'MS',
    group: 'Timing',
    description: 'Length of one Raft tick; other timings count ticks.',
    defaultText: String(d.timing.tickMs),
  }),
  option({
    path: 'timing.heartbeatTicks',
    flag: '--heartbeat-ticks',
    kind: 'integer',
    valueName: 'N',
    group: 'Timing',
    description: 'Ticks between leader heartbeats.',
    defaultText: String(d.timing.heartbeatTicks),
  }),
  option({
    path: 'timing.heartbeatMs',
    flag: '--heartbeat-interval',
    kind: 'integer',
    valueName: 'MS',
    group: 'Timing',
    description: 'The heartbeat in ms, as etcd gives it; a multiple of the tick. Replaces --heartbeat-ticks.',
    defaultText: undefined,
  }),
  option({
    path: 'timing.electionTicks',
    flag: '--election-ticks',
    kind: 'integer',
    valueName: 'N',
    group: 'Timing',
    description: 'Shortest election timeout in ticks; more than the heartbeat.',
    defaultText: String(d.timing.electionTicks),
  }),
  option({
    path: 'timing.electionMs',
    flag: '--election-timeout',
    kind: 'integer',
    valueName: 'MS',
    group: 'Timing',
    description: 'The shortest election timeout in ms, as etcd gives it; a multiple of the tick. Replaces --election-ticks.',
    defaultText: undefined,
  }),
  option({
    path: 'timing.electionTicksMax',
    flag: '--election-ticks-max',
    kind: 'integer',
    valueName: 'N',
    group: 'Timing',
    description: 'Election timeouts are drawn below this many ticks; more than the shortest.',
    defaultText: `${d.timing.electionTicksMaxFactor} × election ticks`,
  }),
  option({
    path: 'timing.electionMsMax',
    flag: '--election-timeout-max',
    kind: 'integer',
    valueName: 'MS',
    group: 'Timing',
    description: 'The same bound in ms; a multiple of the tick. Replaces --election-ticks-max.',
    defaultText: undefined,
  }),
  option({
    path: 'snapshot.count',
    flag: '--snapshot-count',
    kind: 'integer',
    valueName: 'N',
    group: 'Snapshots',
    description: 'Applied entries between two compactions of the log (snapshots are built when a follower needs one).',
    defaultText: String(d.snapshot.count),
  }),
  option({
    path: 'snapshot.catchupEntries',
    flag: '--snapshot-catchup-entries',
    kind: 'integer',
    valueName: 'N',
    group: 'Snapshots',
    description: 'Entries kept when the log is compacted so slow followers catch up without a snapshot.',
    defaultText: String(d.snapshot.catchupEntries),
  }),
  option({
    path: 'limits.maxRequestBytes',
    flag: '--max-request-bytes',
    kind: 'integer',
    valueName: 'BYTES',
    group: 'Limits',
    description: 'Largest client request accepted.',
    defaultText: bytes(d.limits.maxRequestBytes),
  }),
  option({
    path: 'limits.maxPeerMessageBytes',
    flag: '--max-peer-message-bytes',
    kind: 'integer',
    valueName: 'BYTES',
    group: 'Limits',
    description: 'Largest message between peers; more than the request, append and chunk limits.',
    defaultText: bytes(d.limits.maxPeerMessageBytes),
  }),
  option({
    path: 'limits.maxAppendBytes',
    flag: '--max-append-bytes',
    kind: 'integer',
    valueName: 'BYTES',
    group: 'Limits',
    description: 'Entry bytes per append message (one entry is always sent).',
    defaultText: bytes(d.limits.maxAppendBytes),
  }),
  option({
    path: 'limits.maxInflightMessages',
    flag: '--max-inflight-messages',
    kind: 'integer',
    valueName: 'N',
    group: 'Limits',
    description: 'Append messages in flight to one follower.',
    defaultText: String(d.limits.maxInflightMessages),
  }),
  option({
    path: 'limits.maxUncommittedBytes',
    flag: '--max-uncommitted-bytes',
    kind: 'integer',
    valueName: 'BYTES',
    group: 'Limits',
    description: 'Uncommitted log a leader holds before refusing proposals.',
    defaultText: bytes(d.limits.maxUncommittedBytes),
  }),
  option({
    path: 'limits.snapshotChunkBytes',
    flag: '--snapshot-chunk-bytes',
    kind: 'integer',
    valueName: 'BYTES',
    group: 'Limits',
    description: 'Size of the pieces snapshots are streamed in.',
    defaultText: bytes(d.limits.snapshotChunkBytes),
  }),
  option({
    path: 'limits.maxTxnOps',
    flag: '--max-txn-ops',
    kind: 'integer',
    valueName: 'N',
    group: 'Limits',
    description: 'Most operations in one branch of a transaction, and most compares.',
    defaultText: String(d.limits.maxTxnOps),
  }),
  ...(['client', 'peer'] as const).flatMap((side) => {
    const prefix = side === 'client' ? '--' : '--peer-';
    const who = side === 'client' ? 'client' : 'peer';
    return [
      option({
        path: `tls.${side}.certFile`,
        flag: `${prefix}cert-file`,
        kind: 'path',
        valueName: 'FILE',
        group: 'TLS',
        description: `PEM certificate of the ${who} listener; setting it turns TLS on.`,
        defaultText: undefined,
      }),
      option({
        path: `tls.${side}.keyFile`,
        flag: `${prefix}key-file`,
        kind: 'path',
        valueName: 'FILE',
        group: 'TLS',
        description: `PEM private key of that certificate.`,
        defaultText: undefined,
      }),
      option({
        path: `tls.${side}.trustedCaFile`,
        flag: `${prefix}trusted-ca-file`,
        kind: 'path',
        valueName: 'FILE',
        group: 'TLS',
        description: `PEM CA bundle that ${who} certificates are checked against.`,
        defaultText: undefined,
      }),
      option({
        path: `tls.${side}.clientCertAuth`,
        flag: `${prefix}client-cert-auth`,
        kind: 'boolean',
        valueName: '',
        group: 'TLS',
        description: `Require ${side === 'client' ? 'clients' : 'peers'} to present a certificate signed by that CA.`,
        defaultText: 'false',
      }),
    ];
  }),
  option({
    path: 'auth.token',
    flag: '--auth-token',
    kind: 'string',
    valueName: 'TOKEN',
    group: 'Auth',
    description: 'Clients must present this token (16+ characters); prefer the environment variable to the flag.',
    defaultText: 'none: no token needed',
    secret: true,
  }),
  option({
    path: 'log.level',
    flag: '--log-level',
    kind: 'string',
    valueName: 'LEVEL',
    group: 'Logging',
    description: 'debug, info, warn or error.',
    defaultText: d.log.level,
  }),
  option({
    path: 'log.format',
    flag: '--log-format',
    kind: 'string',
    valueName: 'FORMAT',
    group: 'Logging',
    description: 'auto, json or pretty.',
    defaultText: d.log.format,
  }),
];
