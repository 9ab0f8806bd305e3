import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from './load.js';
import { useTempDirs } from './test-support/temp-dir.js';
import type { NodeConfig } from './types.js';

const tempDir = useTempDirs();

const local = (port: number) => ({ host: '127.0.0.1', port });

describe('defaults', () => {
  test('with no file, no variables and no flags, the node is a one-member cluster on localhost', () => {
    const cwd = tempDir().path;
    const config = loadConfig({ argv: [], env: {}, cwd });
    const self = { id: 1, peer: local(2380), client: local(2379) };
    expect(config).toEqual<NodeConfig>({
      id: 1,
      self,
      members: [self],
      peerAddressOverrides: [],
      clusterToken: 'raftkit',
      clusterState: 'new',
      dataDir: join(cwd, 'data'),
      listen: { client: [local(2379)], peer: [local(2380)], metrics: [local(2381)] },
      advertise: { client: [local(2379)] },
      timing: { tickMs: 100, heartbeatTicks: 1, electionTicks: 10, electionTicksMax: 20 },
      snapshot: { count: 10_000, catchupEntries: 5_000 },
      limits: {
        maxRequestBytes: 1_572_864,
        maxPeerMessageBytes: 4_194_304,
        maxAppendBytes: 1_048_576,
        maxInflightMessages: 256,
        maxUncommittedBytes: 67_108_864,
        snapshotChunkBytes: 1_048_576,
        maxTxnOps: 128,
      },
      tls: { client: null, peer: null },
      auth: { token: null },
      log: { level: 'info', format: 'auto' },
    });
  });

  test('variables without the RAFTKIT_ prefix and empty RAFTKIT_ variables change nothing', () => {
    const cwd = tempDir().path;
    const config = loadConfig({ argv: [], env: { PATH: '/bin', HOME: '/root', RAFTKIT_DATA_DIR: '' }, cwd });
    expect(config.dataDir).toBe(join(cwd, 'data'));
  });

  test('--help and --version are accepted, so an app that checks for them late still starts', () => {
    const cwd = tempDir().path;
    expect(loadConfig({ argv: ['--help', '-h', '--version'], env: {}, cwd }).id).toBe(1);
  });
});

describe('each source alone', () => {
  test('a YAML file', () => {
    const dir = tempDir();
    dir.write(
      'raftkit.yaml',
      [
        'dataDir: /var/lib/raftkit',
        'listen:',
        '  client: [0.0.0.0:12379, "http://[::1]:12379"]',
        '  metrics: []',
        'timing:',
        '  tickMs: 50',
        '  electionTicks: 20',
        'limits: { maxRequestBytes: 2097152 }',
        'auth:',
        '  token: 0123456789abcdef0123',
        'log: { level: debug, format: json }',
      ].join('\n'),
    );
    const config = loadConfig({ argv: ['--config', 'raftkit.yaml'], env: {}, cwd: dir.path });
    expect(config.dataDir).toBe('/var/lib/raftkit');
    expect(config.listen).toEqual({ client: [{ host: '0.0.0.0', port: 12379 }, { host: '::1', port: 12379 }], peer: [local(2380)], metrics: [] });
    expect(config.timing).toEqual({ tickMs: 50, heartbeatTicks: 1, electionTicks: 20, electionTicksMax: 40 });
    expect(config.limits.maxRequestBytes).toBe(2_097_152);
    expect(config.auth.token).toBe('0123456789abcdef0123');
    expect(config.log).toEqual({ level: 'debug', format: 'json' });
  });

  test('a JSON file, recognised by its extension', () => {
    const dir = tempDir();
    dir.write('raftkit.json', JSON.stringify({ dataDir: 'store', snapshot: { count: 500, catchupEntries: 0 } }, null, '\t'));
    const config = loadConfig({ argv: ['--config=raftkit.json'], env: {}, cwd: dir.path });
    expect(config.dataDir).toBe(join(dir.path, 'store'));
    expect(config.snapshot).toEqual({ count: 500, catchupEntries: 0 });
  });

  test('a file without a known extension is read as JSON when it starts with {, else as YAML', () => {
    const dir = tempDir();
    dir.write('json.conf', '{ "clusterToken": "from-json" }');
    dir.write('yaml.conf', 'clusterToken: from-yaml\n');
    expect(loadConfig({ argv: ['--config', 'json.conf'], env: {}, cwd: dir.path }).clusterToken).toBe('from-json');
    expect(loadConfig({ argv: ['--config', 'yaml.conf'], env: {}, cwd: dir.path }).clusterToken).toBe('from-yaml');
  });

  test('an empty file is an empty configuration', () => {
    const dir = tempDir();
    dir.write('empty.yaml', '# nothing here yet\n');
    expect(loadConfig({ argv: ['--config', 'empty.yaml'], env: {}, cwd: dir.path }).id).toBe(1);
  });

  test('environment variables, including the config file itself', () => {
    const dir = tempDir();
    dir.write('base.yaml', 'clusterToken: from-file\n');
    const config = loadConfig({
      argv: [],
      cwd: dir.path,
      env: {
        RAFTKIT_CONFIG: 'base.yaml',
        RAFTKIT_ID: '7',
        RAFTKIT_DATA_DIR: '/srv/raft',
        RAFTKIT_LISTEN_CLIENT: 'http://127.0.0.1:3379, http://127.0.0.1:3380',
        RAFTKIT_TIMING_TICK_MS: '20',
        RAFTKIT_TIMING_HEARTBEAT_TICKS: '2',
        RAFTKIT_SNAPSHOT_COUNT: '100',
        RAFTKIT_LIMITS_MAX_INFLIGHT_MESSAGES: '16',
        RAFTKIT_AUTH_TOKEN: 'a-long-enough-shared-token',
        RAFTKIT_LOG_FORMAT: 'pretty',
      },
    });
    expect(config.clusterToken).toBe('from-file');
    expect(config.id).toBe(7);
    expect(config.dataDir).toBe('/srv/raft');
    expect(config.listen.client).toEqual([local(3379), local(3380)]);
    expect(config.timing).toMatchObject({ tickMs: 20, heartbeatTicks: 2 });
    expect(config.snapshot.count).toBe(100);
    expect(config.limits.maxInflightMessages).toBe(16);
    expect(config.auth.token).toBe('a-long-enough-shared-token');
    expect(config.log.format).toBe('pretty');
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('a boolean variable reads %s as %s', (text, expected) => {
    const dir = tempDir();
    const file = (name: string) => dir.write(name, 'PEM\n');
    const config = loadConfig({
      argv: [],
      cwd: dir.path,
      env: {
        RAFTKIT_TLS_PEER_CERT_FILE: file('peer.crt'),
        RAFTKIT_TLS_PEER_KEY_FILE: file('peer.key'),
        RAFTKIT_TLS_PEER_TRUSTED_CA_FILE: file('ca.crt'),
        RAFTKIT_TLS_PEER_CLIENT_CERT_AUTH: text,
      },
    });
    expect(config.tls.peer?.clientCertAuth).toBe(expected);
  });

  test('flags, with etcd names and both --flag value and --flag=value', () => {
    const dir = tempDir();
    const cert = dir.write('server.crt', 'PEM\n');
    const key = dir.write('server.key', 'PEM\n');
    const ca = dir.write('ca.crt', 'PEM\n');
    const config = loadConfig({
      env: {},
      cwd: dir.path,
      argv: [
        '--id=3',
        '--initial-cluster',
        '1=https://10.0.0.1:2380,2=10.0.0.2:2380',
        '--initial-cluster',
        '3=10.0.0.3:2380',
        '--initial-cluster-token=prod',
        '--data-dir',
        'var/raft-{id}',
        '--listen-client-urls',
        'https://0.0.0.0:2379',
        '--listen-client-urls=https://[::]:2479',
        '--listen-peer-urls',
        'https://0.0.0.0:2380',
        '--listen-metrics-urls',
        'http://0.0.0.0:2381',
        '--advertise-client-urls',
        'https://10.0.0.3:2379',
        '--heartbeat-interval',
        '100',
        '--election-timeout=1000',
        '--snapshot-count',
        '20000',
        '--snapshot-catchup-entries',
        '100',
        '--max-request-bytes',
        '1048576',
        '--cert-file',
        'server.crt',
        '--key-file',
        key,
        '--trusted-ca-file',
        ca,
        '--client-cert-auth',
        '--peer-cert-file',
        cert,
        '--peer-key-file',
        key,
        '--peer-trusted-ca-file',
        ca,
        '--peer-client-cert-auth=false',
        '--log-level',
        'warn',
      ],
    });
    expect(config.id).toBe(3);
    expect(config.members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(config.self).toEqual({ id: 3, peer: { host: '10.0.0.3', port: 2380 }, client: { host: '10.0.0.3', port: 2379 } });
    expect(config.clusterToken).toBe('prod');
    expect(config.dataDir).toBe(join(dir.path, 'var/raft-3'));
    expect(config.listen.client).toEqual([{ host: '0.0.0.0', port: 2379 }, { host: '::', port: 2479 }]);
    expect(config.listen.peer).toEqual([{ host: '0.0.0.0', port: 2380 }]);
    expect(config.advertise.client).toEqual([{ host: '10.0.0.3', port: 2379 }]);
    expect(config.timing).toEqual({ tickMs: 100, heartbeatTicks: 1, electionTicks: 10, electionTicksMax: 20 });
    expect(config.snapshot).toEqual({ count: 20_000, catchupEntries: 100 });
    expect(config.limits.maxRequestBytes).toBe(1_048_576);
    expect(config.tls.client).toEqual({ certFile: cert, keyFile: key, trustedCaFile: ca, clientCertAuth: true });
    expect(config.tls.peer).toEqual({ certFile: cert, keyFile: key, trustedCaFile: ca, clientCertAuth: false });
    expect(config.log.level).toBe('warn');
  });

  test('a scalar flag given twice keeps the last value', () => {
    const cwd = tempDir().path;
    expect(loadConfig({ argv: ['--log-level', 'debug', '--log-level', 'error'], env: {}, cwd }).log.level).toBe('error');
  });

  test('an empty metrics list switches metrics off', () => {
    const cwd = tempDir().path;
    expect(loadConfig({ argv: ['--listen-metrics-urls', ''], env: {}, cwd }).listen.metrics).toEqual([]);
  });
});

describe('precedence: flags beat the environment, which beats the file, which beats the defaults', () => {
  interface Field {
    name: string;
    file: string;
    env: [string, string];
    flag: string[];
    read: (c: NodeConfig) => unknown;
    values: { file: unknown; env: unknown; flag: unknown; default: unknown };
  }
  const fields: Field[] = [
    {
      name: 'dataDir',
      file: 'dataDir: /from/file',
      env: ['RAFTKIT_DATA_DIR', '/from/env'],
      flag: ['--data-dir', '/from/flag'],
      read: (c) => c.dataDir,
      values: { file: '/from/file', env: '/from/env', flag: '/from/flag', default: 'data' },
    },
    {
      name: 'timing.tickMs',
      file: 'timing: { tickMs: 10 }',
      env: ['RAFTKIT_TIMING_TICK_MS', '20'],
      flag: ['--tick-ms', '30'],
      read: (c) => c.timing.tickMs,
      values: { file: 10, env: 20, flag: 30, default: 100 },
    },
    {
      name: 'listen.client',
      file: 'listen: { client: "127.0.0.1:1001" }',
      env: ['RAFTKIT_LISTEN_CLIENT', '127.0.0.1:1002'],
      flag: ['--listen-client-urls', '127.0.0.1:1003'],
      read: (c) => c.listen.client,
      values: { file: [local(1001)], env: [local(1002)], flag: [local(1003)], default: [local(2379)] },
    },
    {
      name: 'snapshot.count',
      file: 'snapshot: { count: 1 }',
      env: ['RAFTKIT_SNAPSHOT_COUNT', '2'],
      flag: ['--snapshot-count', '3'],
      read: (c) => c.snapshot.count,
      values: { file: 1, env: 2, flag: 3, default: 10_000 },
    },
    {
      name: 'log.level',
      file: 'log: { level: warn }',
      env: ['RAFTKIT_LOG_LEVEL', 'error'],
      flag: ['--log-level', 'debug'],
      read: (c) => c.log.level,
      values: { file: 'warn', env: 'error', flag: 'debug', default: 'info' },
    },
    {
      name: 'name',
      file: 'name: from-file',
      env: ['RAFTKIT_NAME', 'from-env'],
      flag: ['--name', 'from-flag'],
      read: (c) => c.self.name,
      values: { file: 'from-file', env: 'from-env', flag: 'from-flag', default: undefined },
    },
    {
      name: 'limits.maxTxnOps',
      file: 'limits: { maxTxnOps: 10 }',
      env: ['RAFTKIT_LIMITS_MAX_TXN_OPS', '20'],
      flag: ['--max-txn-ops', '30'],
      read: (c) => c.limits.maxTxnOps,
      values: { file: 10, env: 20, flag: 30, default: 128 },
    },
    {
      name: 'peerAddressOverrides',
      file: 'peerAddressOverrides: [{ id: 2, peer: "10.9.0.2:2380" }]',
      env: ['RAFTKIT_PEER_ADDRESS_OVERRIDES', '2=10.9.1.2:2380'],
      flag: ['--peer-address-override', '2=10.9.2.2:2380', '--peer-address-override', '3=10.9.2.3:2380'],
      read: (c) => c.peerAddressOverrides,
      values: {
        file: [{ id: 2, peer: { host: '10.9.0.2', port: 2380 } }],
        env: [{ id: 2, peer: { host: '10.9.1.2', port: 2380 } }],
        flag: [
          { id: 2, peer: { host: '10.9.2.2', port: 2380 } },
          { id: 3, peer: { host: '10.9.2.3', port: 2380 } },
        ],
        default: [],
      },
    },
    {
      name: 'id',
      file: 'id: 4',
      env: ['RAFTKIT_ID', '5'],
      flag: ['--id', '6'],
      read: (c) => c.id,
      values: { file: 4, env: 5, flag: 6, default: 1 },
    },
  ];

  test.each(fields)('$name', (field) => {
    const dir = tempDir();
    dir.write('raftkit.yaml', `${field.file}\n`);
    const load = (sources: { file?: boolean; env?: boolean; flag?: boolean }) =>
      field.read(
        loadConfig({
          cwd: dir.path,
          env: sources.env ? { [field.env[0]]: field.env[1] } : {},
          argv: [...(sources.file ? ['--config', 'raftkit.yaml'] : []), ...(sources.flag ? field.flag : [])],
        }),
      );
    const fallback = field.name === 'dataDir' ? join(dir.path, 'data') : field.values.default;
    expect(load({ file: true, env: true, flag: true })).toEqual(field.values.flag);
    expect(load({ file: true, env: true })).toEqual(field.values.env);
    expect(load({ file: true, flag: true })).toEqual(field.values.flag);
    expect(load({ env: true, flag: true })).toEqual(field.values.flag);
    expect(load({ file: true })).toEqual(field.values.file);
    expect(load({})).toEqual(fallback);
  });

  test('sections merge key by key: the file keeps what the flags do not set', () => {
    const dir = tempDir();
    dir.write('raftkit.yaml', 'timing: { tickMs: 50, electionTicks: 30 }\n');
    const config = loadConfig({ argv: ['--config', 'raftkit.yaml', '--heartbeat-ticks', '3'], env: { RAFTKIT_TIMING_ELECTION_TICKS_MAX: '90' }, cwd: dir.path });
    expect(config.timing).toEqual({ tickMs: 50, heartbeatTicks: 3, electionTicks: 30, electionTicksMax: 90 });
  });

  test('lists are replaced, not merged', () => {
    const dir = tempDir();
    dir.write('raftkit.yaml', 'listen: { client: ["127.0.0.1:1001", "127.0.0.1:1002"] }\n');
    const config = loadConfig({ argv: ['--config', 'raftkit.yaml', '--listen-client-urls', '127.0.0.1:1003'], env: {}, cwd: dir.path });
    expect(config.listen.client).toEqual([local(1003)]);
  });

  test('a higher source in ms replaces a lower source in ticks, and the other way round', () => {
    const dir = tempDir();
    dir.write('ticks.yaml', 'timing: { heartbeatTicks: 3, electionTicks: 30 }\n');
    dir.write('ms.yaml', 'timing: { heartbeatMs: 300, electionMs: 3000 }\n');
    const fromMsFlag = loadConfig({ argv: ['--config', 'ticks.yaml', '--heartbeat-interval', '500'], env: {}, cwd: dir.path });
    expect(fromMsFlag.timing).toMatchObject({ heartbeatTicks: 5, electionTicks: 30 });
    const fromTicksEnv = loadConfig({ argv: ['--config', 'ms.yaml'], env: { RAFTKIT_TIMING_ELECTION_TICKS: '40' }, cwd: dir.path });
    expect(fromTicksEnv.timing).toMatchObject({ heartbeatTicks: 3, electionTicks: 40 });
  });

  test('--config beats RAFTKIT_CONFIG', () => {
    const dir = tempDir();
    dir.write('a.yaml', 'clusterToken: a\n');
    dir.write('b.yaml', 'clusterToken: b\n');
    expect(loadConfig({ argv: ['--config', 'b.yaml'], env: { RAFTKIT_CONFIG: 'a.yaml' }, cwd: dir.path }).clusterToken).toBe('b');
  });
});

describe('one cluster file listing every machine, the local one picked by --id', () => {
  const oneHost = JSON.stringify(
    {
      clusterToken: 'demo',
      dataDir: './data/node-{id}',
      members: [
        { id: 1, name: 'alpha', peer: '127.0.0.1:12380', client: '127.0.0.1:12379', metrics: '127.0.0.1:12381' },
        { id: 2, name: 'beta', peer: '127.0.0.1:22380', client: '127.0.0.1:22379', metrics: '127.0.0.1:22381' },
        { id: 3, name: 'gamma', peer: '127.0.0.1:32380', client: '127.0.0.1:32379', metrics: '127.0.0.1:32381' },
      ],
      timing: { tickMs: 100, heartbeatMs: 1000, electionMs: 1500, electionMsMax: 5000 },
    },
    null,
    2,
  );

  test.each([1, 2, 3])('member %i listens on its own addresses from the list', (id) => {
    const dir = tempDir();
    dir.write('cluster.json', oneHost);
    const config = loadConfig({ argv: ['--config', 'cluster.json', '--id', String(id)], env: {}, cwd: dir.path });
    const base = id * 10_000;
    expect(config.id).toBe(id);
    expect(config.self).toEqual(config.members[id - 1]);
    expect(config.self.name).toBe(['alpha', 'beta', 'gamma'][id - 1]);
    expect(config.members).toHaveLength(3);
    expect(config.listen).toEqual({ client: [local(base + 2379)], peer: [local(base + 2380)], metrics: [local(base + 2381)] });
    expect(config.advertise.client).toEqual([local(base + 2379)]);
    expect(config.dataDir).toBe(join(dir.path, 'data', `node-${id}`));
  });

  test("the origin timings (heartbeat 1000 ms, election timeout in [1500, 5000) ms) become ticks", () => {
    const dir = tempDir();
    dir.write('cluster.json', oneHost);
    const config = loadConfig({ argv: ['--config', 'cluster.json', '--id', '1'], env: {}, cwd: dir.path });
    expect(config.timing).toEqual({ tickMs: 100, heartbeatTicks: 10, electionTicks: 15, electionTicksMax: 50 });
  });

  test('members behind a proxy keep their listed address while listening elsewhere', () => {
    const dir = tempDir();
    dir.write(
      'cluster.yaml',
      ['members:', '  - { id: 1, peer: "proxy.example:7001" }', '  - { id: 2, peer: "proxy.example:7002" }'].join('\n'),
    );
    const config = loadConfig({
      argv: ['--config', 'cluster.yaml', '--id', '2', '--listen-peer-urls', '0.0.0.0:2380'],
      env: {},
      cwd: dir.path,
    });
    expect(config.self.peer).toEqual({ host: 'proxy.example', port: 7002 });
    expect(config.listen.peer).toEqual([{ host: '0.0.0.0', port: 2380 }]);
    // Without a client address in the list, the member serves and advertises the local default.
    expect(config.listen.client).toEqual([local(2379)]);
    expect(config.self.client).toEqual(local(2379));
    expect(config.members[0]).toEqual({ id: 1, peer: { host: 'proxy.example', port: 7001 } });
  });

  test('--name names the local member, in agreement with its entry', () => {
    const dir = tempDir();
    dir.write('cluster.json', oneHost);
    const load = (argv: string[]) => loadConfig({ argv: ['--config', 'cluster.json', ...argv], env: {}, cwd: dir.path });
    expect(load(['--id', '2', '--name', 'beta']).self.name).toBe('beta');
    dir.write('unnamed.yaml', ['members:', '  - { id: 1, peer: "127.0.0.1:12380" }', '  - { id: 2, peer: "127.0.0.1:22380" }'].join('\n'));
    const unnamed = loadConfig({ argv: ['--config', 'unnamed.yaml', '--id', '2', '--name', 'beta'], env: {}, cwd: dir.path });
    expect(unnamed.self.name).toBe('beta');
    expect(unnamed.members[1]).toBe(unnamed.self);
    expect(unnamed.members[0]!.name).toBeUndefined();
  });

  test('a list of one member needs no --id', () => {
    const dir = tempDir();
    dir.write('solo.yaml', 'members: [{ id: 9, peer: "127.0.0.1:2380" }]\n');
    expect(loadConfig({ argv: ['--config', 'solo.yaml'], env: {}, cwd: dir.path }).id).toBe(9);
  });

  test('without a list, --id names the single member', () => {
    const cwd = tempDir().path;
    const config = loadConfig({ argv: ['--id', '5', '--listen-peer-urls', '127.0.0.1:5380'], env: {}, cwd });
    expect(config.members).toEqual([{ id: 5, peer: local(5380), client: local(2379) }]);
  });
});
