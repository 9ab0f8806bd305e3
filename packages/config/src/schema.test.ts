import type * as z from 'zod';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { ConfigError } from './issues.js';
import { parseNodeConfig } from './load.js';
import { nodeConfigSchema, type NodeConfigInput } from './schema.js';
import type { NodeConfig } from './types.js';

describe('nodeConfigSchema', () => {
  test('its output is NodeConfig and its input is the file format', () => {
    expectTypeOf<z.output<typeof nodeConfigSchema>>().toEqualTypeOf<NodeConfig>();
    expectTypeOf<{ members: [{ id: 1; peer: 'a:1' }]; listen: { client: 'a:2,b:2' } }>().toExtend<NodeConfigInput>();
  });

  test('parses an object built in code, leaving paths as given', () => {
    const config = nodeConfigSchema.parse({
      id: 2,
      dataDir: 'relative/{id}',
      members: [
        { id: 1, peer: '10.0.0.1:2380' },
        { id: 2, peer: '10.0.0.2:2380', client: '10.0.0.2:2379' },
      ],
    });
    expect(config.dataDir).toBe('relative/2');
    expect(config.self).toEqual({ id: 2, peer: { host: '10.0.0.2', port: 2380 }, client: { host: '10.0.0.2', port: 2379 } });
    expect(config.listen.client).toEqual([{ host: '10.0.0.2', port: 2379 }]);
  });

  test('zod issues say what was expected and carry the value when asked to', () => {
    const result = nodeConfigSchema.safeParse({ timing: { tickMs: 'x' } }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['timing', 'tickMs'], message: 'a positive integer', input: 'x' }),
    ]);
  });

  test('cross-field rules run even when a field fails its own check', () => {
    const result = nodeConfigSchema.safeParse({ id: 0.5, timing: { electionTicks: 1 } });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['id', 'timing.electionTicks']);
  });
});

describe('parseNodeConfig', () => {
  test('returns the resolved configuration', () => {
    expect(parseNodeConfig({ log: { level: 'debug' } }).log).toEqual({ level: 'debug', format: 'auto' });
  });

  test('throws a ConfigError; values it filled in are marked as defaults', () => {
    let thrown: unknown;
    try {
      parseNodeConfig({ timing: { heartbeatTicks: 10 }, extra: 1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues.map((i) => i.message)).toEqual([
      'extra: unknown key, got 1; expected one of id, name, clusterToken, clusterState, members, peerAddressOverrides, dataDir, listen, advertise, timing, snapshot, limits, tls, auth, log',
      'timing.electionTicks: got 10 by default; expected more than timing.heartbeatTicks, which is 10',
    ]);
  });

  test('an input that is not a mapping', () => {
    expect(() => parseNodeConfig('id: 1')).toThrow('(the whole configuration): got "id: 1"; expected a mapping of settings');
  });
});
