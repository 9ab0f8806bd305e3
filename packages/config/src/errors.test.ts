import { describe, expect, test } from 'vitest';
import { ConfigError, type ConfigIssue } from './issues.js';
import { loadConfig, type LoadConfigOptions } from './load.js';
import { useTempDirs, type TempDir } from './test-support/temp-dir.js';

const tempDir = useTempDirs();

/** Loads and returns the issues of the ConfigError that must be thrown. */
function issuesOf(options: LoadConfigOptions): readonly ConfigIssue[] {
  try {
    loadConfig({ env: {}, argv: [], ...options });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

function messagesOf(options: LoadConfigOptions): string[] {
  return issuesOf(options).map((i) => i.message);
}

/** Writes `raftkit.yaml` with the given lines and loads it, plus any flags and variables. */
function withFile(dir: TempDir, lines: string[], options: LoadConfigOptions = {}): string[] {
  dir.write('raftkit.yaml', `${lines.join('\n')}\n`);
  return messagesOf({ cwd: dir.path, ...options, argv: ['--config', 'raftkit.yaml', ...(options.argv ?? [])] });
}

describe('type and range errors', () => {
  test('a value of the wrong type names the field, the value, its line and what was expected', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing:', '  tickMs: fast'])).toEqual([
      'timing.tickMs: got "fast" from raftkit.yaml:2:11; expected a positive integer',
    ]);
  });

  test('the issue carries each part separately', () => {
    const dir = tempDir();
    dir.write('raftkit.yaml', 'snapshot: { count: -5 }\n');
    expect(issuesOf({ argv: ['--config', 'raftkit.yaml'], cwd: dir.path })).toEqual([
      {
        path: 'snapshot.count',
        value: -5,
        expected: 'a positive integer',
        source: 'raftkit.yaml:1:20',
        message: 'snapshot.count: got -5 from raftkit.yaml:1:20; expected a positive integer',
      },
    ]);
  });

  test('a section that is not a mapping', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing: 5'])).toEqual(['timing: got 5 from raftkit.yaml:1:9; expected a mapping of timing settings']);
  });

  test('flags and variables with text where a number belongs', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--tick-ms', '1.5'], env: { RAFTKIT_ID: 'two' } })).toEqual([
      'id: got "two" from RAFTKIT_ID; expected a positive integer',
      'timing.tickMs: got "1.5" from --tick-ms; expected a positive integer',
    ]);
  });

  test('a value outside a fixed set', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--log-level', 'verbose'] })).toEqual([
      'log.level: got "verbose" from --log-level; expected one of debug, info, warn, error',
    ]);
  });

  test('a boolean that is neither true nor false', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--client-cert-auth=maybe'] })).toEqual([
      'tls.client.clientCertAuth: got "maybe" from --client-cert-auth; expected true or false',
    ]);
  });

  test('a member without its peer address', () => {
    const dir = tempDir();
    expect(withFile(dir, ['members:', '  - id: 1'])).toEqual([
      'members[0].peer: missing in raftkit.yaml:2:5; expected host:port, http://host:port or https://host:port',
    ]);
  });

  test('an empty member list', () => {
    const dir = tempDir();
    expect(withFile(dir, ['members: []'])).toEqual(['members: got [] from raftkit.yaml:1:10; expected at least one member']);
  });

  test('a token too short to be secret is refused without being shown', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, env: { RAFTKIT_AUTH_TOKEN: 'hunter2' } })).toEqual([
      'auth.token: got <redacted> from RAFTKIT_AUTH_TOKEN; expected a token of at least 16 characters without whitespace',
    ]);
  });
});

describe('addresses', () => {
  test('a port out of range', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--listen-client-urls', '127.0.0.1:70000'] })).toEqual([
      'listen.client[0]: got "127.0.0.1:70000" from --listen-client-urls; expected a port from 0 to 65535',
    ]);
  });

  test('port 0 for a member, which others could not dial', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--initial-cluster', '1=127.0.0.1:0'] })).toEqual([
      'members[0].peer: got "127.0.0.1:0" from --initial-cluster; expected a port from 1 to 65535',
    ]);
  });

  test.each(['ftp://10.0.0.1:21', 'http://10.0.0.1', '10.0.0.1', 'http://10.0.0.1:2379/v3', 'fe80::1:2379'])(
    'a malformed URL: %s',
    (url) => {
      const cwd = tempDir().path;
      expect(messagesOf({ cwd, argv: [`--advertise-client-urls=${url}`] })).toEqual([
        `advertise.client[0]: got ${JSON.stringify(url)} from --advertise-client-urls; expected host:port, http://host:port or https://host:port`,
      ]);
    },
  );

  test('a list that is neither text nor a list of text', () => {
    const dir = tempDir();
    expect(withFile(dir, ['listen: { peer: 2380 }'])).toEqual([
      'listen.peer: got 2380 from raftkit.yaml:1:17; expected a list of addresses (host:port, http://host:port or https://host:port), as a YAML list or comma-separated',
    ]);
  });

  test('two listeners on one port, including one taken by default', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--listen-peer-urls', '0.0.0.0:2379'] })).toEqual([
      'listen.peer[0]: got "0.0.0.0:2379" from --listen-peer-urls; expected an address not already used by listen.client',
    ]);
    expect(messagesOf({ cwd, argv: ['--listen-client-urls', '127.0.0.1:2381'] })).toEqual([
      'listen.metrics: got "127.0.0.1:2381" by default; expected an address not already used by listen.client[0]',
    ]);
  });

  test('metrics are plain HTTP', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--listen-metrics-urls', 'https://127.0.0.1:2381'] })).toEqual([
      'listen.metrics[0]: got "https://127.0.0.1:2381" from --listen-metrics-urls; expected http://host:port or host:port (metrics are served over plain HTTP)',
    ]);
  });
});

describe('members', () => {
  const cluster = ['members:', '  - { id: 1, peer: "10.0.0.1:2380" }', '  - { id: 2, peer: "10.0.0.2:2380" }', '  - { id: 3, peer: "10.0.0.3:2380" }'];

  test('duplicate ids', () => {
    const dir = tempDir();
    expect(
      withFile(dir, ['members:', '  - { id: 1, peer: "10.0.0.1:2380" }', '  - { id: 1, peer: "10.0.0.2:2380" }'], { argv: ['--id', '1'] }),
    ).toEqual(['members[1].id: got 1 from raftkit.yaml:3:11; expected an id not already used by members[0]']);
  });

  test('duplicate addresses, also across peer and client addresses', () => {
    const dir = tempDir();
    const lines = [
      'id: 1',
      'members:',
      '  - { id: 1, peer: "10.0.0.1:2380", client: "10.0.0.1:2379" }',
      '  - { id: 2, peer: "http://10.0.0.1:2380" }',
      '  - { id: 3, peer: "10.0.0.3:2380", client: "10.0.0.1:2379" }',
    ];
    expect(withFile(dir, lines)).toEqual([
      'members[1].peer: got "http://10.0.0.1:2380" from raftkit.yaml:4:20; expected an address not already used by members[0].peer',
      'members[2].client: got "10.0.0.1:2379" from raftkit.yaml:5:45; expected an address not already used by members[0].client',
    ]);
  });

  test('duplicate names', () => {
    const dir = tempDir();
    const lines = ['id: 1', 'members:', '  - { id: 1, name: a, peer: "10.0.0.1:2380" }', '  - { id: 2, name: a, peer: "10.0.0.2:2380" }'];
    expect(withFile(dir, lines)).toEqual(['members[1].name: got "a" from raftkit.yaml:4:20; expected a name not already used by members[0]']);
  });

  test('a --name that differs from the entry\'s name, or is another member\'s', () => {
    const dir = tempDir();
    const lines = ['id: 1', 'members:', '  - { id: 1, name: a, peer: "10.0.0.1:2380" }', '  - { id: 2, peer: "10.0.0.2:2380" }'];
    expect(withFile(dir, lines, { argv: ['--name', 'b'] })).toEqual([
      'name: got "b" from --name; expected the name members[0] gives this member, "a", or no name here',
    ]);
    const others = ['id: 2', 'members:', '  - { id: 1, name: a, peer: "10.0.0.1:2380" }', '  - { id: 2, peer: "10.0.0.2:2380" }'];
    expect(withFile(dir, others, { argv: ['--name', 'a'] })).toEqual(['name: got "a" from --name; expected a name not already used by members[0]']);
    expect(messagesOf({ cwd: dir.path, argv: ['--name='] })).toEqual(['name: got "" from --name; expected a non-empty name']);
  });

  test('peer address overrides: syntax, one per member, never the member itself', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--peer-address-override', '2'] })).toEqual([
      'peerAddressOverrides[0]: got "2" from --peer-address-override; expected id=host:port, e.g. 1=10.0.0.1:2380',
    ]);
    expect(messagesOf({ cwd, argv: ['--peer-address-override', '2=10.0.0.2'] })).toHaveLength(1);
    expect(messagesOf({ cwd, argv: ['--peer-address-override', '2=10.0.0.2:2380,2=10.0.0.3:2380'] })).toEqual([
      'peerAddressOverrides[1].id: got 2 from --peer-address-override; expected an id not already overridden by peerAddressOverrides[0]',
    ]);
    expect(messagesOf({ cwd, argv: ['--peer-address-override', '1=10.0.0.2:2380'] })).toEqual([
      'peerAddressOverrides[0].id: got 1 from --peer-address-override; expected the id of another member: 1 is this member, which never dials itself (its own address is listen.peer)',
    ]);
  });

  test('a transaction limit of 0', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--max-txn-ops', '0'] })).toEqual(['limits.maxTxnOps: got 0 from --max-txn-ops; expected a positive integer']);
  });

  test('the local member is not among the members', () => {
    const dir = tempDir();
    expect(withFile(dir, cluster, { argv: ['--id', '4'] })).toEqual(['id: got 4 from --id; expected one of the member ids 1, 2, 3']);
  });

  test('the local member is not named though several are listed', () => {
    const dir = tempDir();
    expect(withFile(dir, cluster)).toEqual([
      "id: missing, and the cluster lists 3 members; expected the local member's id, one of 1, 2, 3 (--id, RAFTKIT_ID or id in the file)",
    ]);
  });

  test('a malformed --initial-cluster entry', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--initial-cluster', '1=10.0.0.1:2380,node2', '--id', '1'] })).toEqual([
      'members[1]: got "node2" from --initial-cluster; expected id=host:port, e.g. 1=10.0.0.1:2380',
    ]);
  });
});

describe('timing', () => {
  test('an election timeout not above the heartbeat', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--election-ticks', '1'] })).toEqual([
      'timing.electionTicks: got 1 from --election-ticks; expected more than timing.heartbeatTicks, which is 1',
    ]);
  });

  test('the same rule when the two are given in different units', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing: { heartbeatMs: 1000, electionTicks: 5 }'])).toEqual([
      'timing.electionTicks: got 5 from raftkit.yaml:1:45; expected more than timing.heartbeatMs, which is 1000 ms (10 ticks)',
    ]);
  });

  test('a maximum election timeout not above the minimum', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, env: { RAFTKIT_TIMING_ELECTION_TICKS_MAX: '10' } })).toEqual([
      'timing.electionTicksMax: got 10 from RAFTKIT_TIMING_ELECTION_TICKS_MAX; expected more than timing.electionTicks, which is 10',
    ]);
  });

  test('milliseconds that are not a whole number of ticks', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--heartbeat-interval', '150'] })).toEqual([
      'timing.heartbeatMs: got 150 from --heartbeat-interval; expected a multiple of timing.tickMs, which is 100',
    ]);
  });

  test('one source giving the same timeout in ticks and in ms', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing: { electionTicks: 10, electionMs: 1000 }'])).toEqual([
      'timing.electionMs: got 1000 from raftkit.yaml:1:42; expected only one of timing.electionTicks and timing.electionMs',
    ]);
  });
});

describe('limits', () => {
  test('a peer message limit that cannot carry a client request', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--max-peer-message-bytes', '1048576'] })).toEqual([
      'limits.maxPeerMessageBytes: got 1048576 from --max-peer-message-bytes; expected more than limits.maxRequestBytes, which is 1572864, so that one peer message can carry it',
    ]);
  });
});

describe('TLS', () => {
  test('a certificate without its key, and a CA check without a CA', () => {
    const dir = tempDir();
    const cert = dir.write('server.crt', 'PEM\n');
    expect(messagesOf({ cwd: dir.path, argv: ['--cert-file', cert, '--peer-client-cert-auth'] })).toEqual([
      "tls.client.keyFile: missing, but tls.client.certFile is set; expected a path to the certificate's PEM private key (--key-file)",
      'tls.peer.certFile: missing, but tls.peer.clientCertAuth is true; expected a path to a PEM certificate (--peer-cert-file)',
    ]);
  });

  test('client certificate checks without a CA to check against', () => {
    const dir = tempDir();
    const cert = dir.write('server.crt', 'PEM\n');
    expect(messagesOf({ cwd: dir.path, argv: ['--cert-file', cert, '--key-file', cert, '--client-cert-auth'] })).toEqual([
      'tls.client.trustedCaFile: missing, but tls.client.clientCertAuth is true; expected a path to the PEM CA bundle that remote certificates are checked against (--trusted-ca-file)',
    ]);
  });

  test('a peer certificate without the CA that members check each other against', () => {
    const dir = tempDir();
    const cert = dir.write('peer.crt', 'PEM\n');
    const key = dir.write('peer.key', 'PEM\n');
    expect(messagesOf({ cwd: dir.path, argv: ['--peer-cert-file', cert, '--peer-key-file', key, '--listen-peer-urls', 'https://127.0.0.1:2380'] })).toEqual([
      "tls.peer.trustedCaFile: missing, but tls.peer.certFile is set; expected a path to the PEM CA bundle that signs every member's certificate (--peer-trusted-ca-file), since members check each other's certificates",
    ]);
    // Without client certificate checks too: the dialling side always verifies the member it reaches.
    expect(messagesOf({ cwd: dir.path, argv: ['--peer-cert-file', cert, '--peer-key-file', key, '--peer-client-cert-auth=false'] })).toHaveLength(1);
  });

  test('server-only TLS for clients needs no CA', () => {
    const dir = tempDir();
    const cert = dir.write('server.crt', 'PEM\n');
    const key = dir.write('server.key', 'PEM\n');
    const config = loadConfig({ cwd: dir.path, env: {}, argv: ['--cert-file', cert, '--key-file', key, '--listen-client-urls', 'https://127.0.0.1:2379'] });
    expect(config.tls.client).toEqual({ certFile: cert, keyFile: key, clientCertAuth: false });
    expect(config.tls.peer).toBeNull();
  });

  test('an https address without TLS, and an http address with it', () => {
    const dir = tempDir();
    const cert = dir.write('server.crt', 'PEM\n');
    expect(
      messagesOf({
        cwd: dir.path,
        argv: ['--listen-client-urls', 'https://127.0.0.1:2379', '--peer-cert-file', cert, '--peer-key-file', cert, '--peer-trusted-ca-file', cert, '--listen-peer-urls', 'http://127.0.0.1:2380'],
      }),
    ).toEqual([
      'listen.client[0]: got "https://127.0.0.1:2379" from --listen-client-urls; expected http://host:port or host:port, since TLS is off without tls.client.certFile (--cert-file)',
      'listen.peer[0]: got "http://127.0.0.1:2380" from --listen-peer-urls; expected https://host:port or host:port, since tls.peer.certFile turns TLS on',
    ]);
  });

  test('a certificate file that cannot be read', () => {
    const dir = tempDir();
    const ca = dir.write('ca.crt', 'PEM\n');
    expect(messagesOf({ cwd: dir.path, argv: ['--peer-cert-file', 'peer.crt', '--peer-key-file', '.', '--peer-trusted-ca-file', ca] })).toEqual([
      `tls.peer.certFile: cannot read "${dir.path}/peer.crt" (ENOENT: no such file or directory) from --peer-cert-file; expected a readable PEM file`,
      `tls.peer.keyFile: cannot read "${dir.path}" (not a file) from --peer-key-file; expected a readable PEM file`,
    ]);
  });
});

describe('unknown names', () => {
  test('an unknown key with a did-you-mean, pointing at the key', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing:', '  tickMS: 100'])).toEqual(['timing.tickMS: unknown key in raftkit.yaml:2:3, got 100; did you mean timing.tickMs?']);
  });

  test('a key in the wrong section suggests where it belongs', () => {
    const dir = tempDir();
    expect(withFile(dir, ['electionTicks: 20', 'data_dir: /srv'])).toEqual([
      'electionTicks: unknown key in raftkit.yaml:1:1, got 20; did you mean timing.electionTicks?',
      'data_dir: unknown key in raftkit.yaml:2:1, got "/srv"; did you mean dataDir?',
    ]);
  });

  test('an unknown key with nothing close lists what is known', () => {
    const dir = tempDir();
    dir.write('raftkit.yaml', 'log:\n  colour: true\n');
    expect(issuesOf({ cwd: dir.path, argv: ['--config', 'raftkit.yaml'] })).toEqual([
      {
        path: 'log.colour',
        value: true,
        expected: 'one of level, format',
        source: 'raftkit.yaml:2:3',
        message: 'log.colour: unknown key in raftkit.yaml:2:3, got true; expected one of level, format',
      },
    ]);
  });

  test('an unknown key in a member entry', () => {
    const dir = tempDir();
    expect(withFile(dir, ['members:', '  - { id: 1, peer: "10.0.0.1:2380", clinet: "x" }'])).toEqual([
      'members[0].clinet: unknown key in raftkit.yaml:2:37, got "x"; did you mean members[0].client?',
    ]);
  });

  test('an unknown key under auth does not show its value', () => {
    const dir = tempDir();
    dir.write('raftkit.yaml', 'auth: { tokn: "0123456789abcdef" }\n');
    expect(issuesOf({ cwd: dir.path, argv: ['--config', 'raftkit.yaml'] })[0]).toMatchObject({
      path: 'auth.tokn',
      value: '<redacted>',
      suggestion: 'auth.token',
    });
  });

  test('an unknown RAFTKIT_ variable', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, env: { RAFTKIT_DATA_DIRR: '/srv', RAFTKIT_TICK_MS: '10', RAFTKIT_FROBNICATE: '1' } })).toEqual([
      'RAFTKIT_DATA_DIRR: unknown environment variable, got "/srv"; did you mean RAFTKIT_DATA_DIR?',
      'RAFTKIT_TICK_MS: unknown environment variable, got "10"; did you mean RAFTKIT_TIMING_TICK_MS?',
      'RAFTKIT_FROBNICATE: unknown environment variable, got "1"; expected a RAFTKIT_ variable listed in --help',
    ]);
  });

  test('an argument after a boolean flag with its value is just a stray argument', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--peer-client-cert-auth=false', 'extra'] })).toEqual([
      'argv[1]: got "extra"; expected a flag; this program takes no positional arguments',
    ]);
  });

  test('an unknown flag, and the value that followed it is not reported again', () => {
    const cwd = tempDir().path;
    expect(issuesOf({ cwd, argv: ['--data-dirr', '/srv'] })).toEqual([
      {
        path: '--data-dirr',
        value: '/srv',
        expected: 'a flag listed in --help',
        suggestion: '--data-dir',
        message: '--data-dirr: unknown flag, got "/srv"; did you mean --data-dir?',
      },
    ]);
  });

  test('an unknown name shows the value it was given, however it was given', () => {
    const dir = tempDir();
    expect(withFile(dir, ['dataDirr: /srv'], { argv: ['--data-dirr=/srv', '--tick-mss', '--id', '1', '--verbose'], env: { RAFTKIT_DATA_DIRR: '/srv' } })).toEqual([
      'RAFTKIT_DATA_DIRR: unknown environment variable, got "/srv"; did you mean RAFTKIT_DATA_DIR?',
      '--data-dirr: unknown flag, got "/srv"; did you mean --data-dir?',
      // The next argument is a flag, so it is not this flag's value.
      '--tick-mss: unknown flag with no value; did you mean --tick-ms?',
      '--verbose: unknown flag with no value; expected a flag listed in --help',
      'dataDirr: unknown key in raftkit.yaml:1:1, got "/srv"; did you mean dataDir?',
    ]);
  });

  test('stray arguments, a boolean given its value after a space, and a flag missing its value', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['start', '--client-cert-auth', 'false', '--data-dir', '--log-level', 'info', '--id'] })).toEqual([
      'argv[0]: got "start"; expected a flag; this program takes no positional arguments',
      'argv[2]: got "false"; expected --client-cert-auth=false, since a boolean flag takes its value after =',
      '--data-dir: missing value (the next argument is the flag --log-level); expected a value: --data-dir DIR or --data-dir=DIR',
      'argv[5]: got "info"; expected a flag; this program takes no positional arguments',
      '--id: missing value; expected a value: --id N or --id=N',
      // The bare --client-cert-auth did switch the check on.
      'tls.client.certFile: missing, but tls.client.clientCertAuth is true; expected a path to a PEM certificate (--cert-file)',
    ]);
  });
});

describe('the config file', () => {
  test('a file that does not exist', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--config', 'missing.yaml'] })).toEqual([
      '--config: cannot read "missing.yaml" (ENOENT: no such file or directory); expected a readable YAML or JSON file',
    ]);
  });

  test('a directory named as the file', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, env: { RAFTKIT_CONFIG: '.' } })).toEqual([
      'RAFTKIT_CONFIG: cannot read "." (EISDIR: illegal operation on a directory); expected a readable YAML or JSON file',
    ]);
  });

  test('an empty --config', () => {
    const cwd = tempDir().path;
    expect(messagesOf({ cwd, argv: ['--config='] })).toEqual(['--config: got ""; expected a path to a YAML or JSON file']);
  });

  test('malformed YAML: every syntax error with its line and column', () => {
    const dir = tempDir();
    expect(withFile(dir, ['timing:', '  tickMs: 100', '  tickMs: 200', 'log: [info'])).toEqual([
      'raftkit.yaml:3:3: Map keys must be unique; expected valid YAML',
      'raftkit.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]; expected valid YAML',
    ]);
  });

  test('malformed JSON: the position of the error', () => {
    const dir = tempDir();
    dir.write('cluster.json', '{\n  "id": 1,\n  "members": [\n    { "id": 1 "peer": "a:1" }\n  ]\n}\n');
    const [message, ...rest] = messagesOf({ cwd: dir.path, argv: ['--config', 'cluster.json'] });
    expect(rest).toEqual([]);
    expect(message).toMatch(/^cluster\.json:4:15: .+; expected valid JSON$/);
  });

  test('JSON with something after the value', () => {
    const dir = tempDir();
    dir.write('raftkit.json', '{ "id": 1 }\n}\n');
    const [message, ...rest] = messagesOf({ cwd: dir.path, argv: ['--config', 'raftkit.json'] });
    expect(rest).toEqual([]);
    expect(message).toMatch(/^raftkit\.json:2:1: .+; expected valid JSON$/);
  });

  test('YAML whose aliases would expand without bound', () => {
    const dir = tempDir();
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++) lines.push(`${'bcdefg'[i]}: &${'bcdefg'[i]} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`);
    const messages = withFile(dir, lines);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^raftkit\.yaml: Excessive alias count .*; expected valid YAML$/);
  });

  test('a file that holds a list instead of settings', () => {
    const dir = tempDir();
    expect(withFile(dir, ['- id: 1'])).toEqual(['raftkit.yaml: the file holds a list; expected a mapping of settings (key: value) at the top level']);
  });

  test('while the file is broken, problems of the command line are still reported', () => {
    const dir = tempDir();
    expect(withFile(dir, ['id: [1'], { argv: ['--tick-mss', '5'], env: { RAFTKIT_IDD: '2' } })).toEqual([
      'raftkit.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]; expected valid YAML',
      'RAFTKIT_IDD: unknown environment variable, got "2"; did you mean RAFTKIT_ID?',
      '--tick-mss: unknown flag, got "5"; did you mean --tick-ms?',
    ]);
  });
});

describe('every problem at once', () => {
  test('field, cross-field, source and naming problems in one report', () => {
    const dir = tempDir();
    dir.write(
      'raftkit.yaml',
      [
        'members:',
        '  - { id: 1, peer: "10.0.0.1:2380" }',
        '  - { id: 1, peer: "10.0.0.2:99999" }',
        'timing:',
        '  tickMs: 0',
        '  electionTicks: 1',
        'snapshots: { count: 5 }',
      ].join('\n'),
    );
    let error: unknown;
    try {
      loadConfig({
        cwd: dir.path,
        argv: ['--config', 'raftkit.yaml', '--id', '1', '--log-level=loud', '--snapshot-cnt', '5'],
        env: { RAFTKIT_LOG_LEVELL: 'debug' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      [
        'invalid raftkit configuration (8 problems):',
        '  - RAFTKIT_LOG_LEVELL: unknown environment variable, got "debug"; did you mean RAFTKIT_LOG_LEVEL?',
        '  - --snapshot-cnt: unknown flag, got "5"; did you mean --snapshot-count?',
        '  - members[1].peer: got "10.0.0.2:99999" from raftkit.yaml:3:20; expected a port from 1 to 65535',
        '  - timing.tickMs: got 0 from raftkit.yaml:5:11; expected a positive integer',
        '  - log.level: got "loud" from --log-level; expected one of debug, info, warn, error',
        '  - snapshots: unknown key in raftkit.yaml:7:1, got {"count":5}; did you mean snapshot?',
        '  - members[1].id: got 1 from raftkit.yaml:3:11; expected an id not already used by members[0]',
        '  - timing.electionTicks: got 1 from raftkit.yaml:6:18; expected more than timing.heartbeatTicks, which is 1',
      ].join('\n'),
    );
    expect((error as ConfigError).name).toBe('ConfigError');
  });
});
