import * as z from 'zod';
import { expect, test } from 'vitest';
import { nodeConfigFields } from './fields.js';
import { configOptions, envVarName } from './options.js';

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
}

/** Field paths of the file format, a list counting as one field. */
function fieldPaths(node: JsonSchemaNode, prefix: string[] = []): string[] {
  if (node.type !== 'object' || !node.properties) return [prefix.join('.')];
  return Object.entries(node.properties).flatMap(([key, child]) => fieldPaths(child, [...prefix, key]));
}

test.each([
  ['id', 'RAFTKIT_ID'],
  ['dataDir', 'RAFTKIT_DATA_DIR'],
  ['timing.tickMs', 'RAFTKIT_TIMING_TICK_MS'],
  ['timing.electionTicksMax', 'RAFTKIT_TIMING_ELECTION_TICKS_MAX'],
  ['limits.maxPeerMessageBytes', 'RAFTKIT_LIMITS_MAX_PEER_MESSAGE_BYTES'],
  ['tls.peer.trustedCaFile', 'RAFTKIT_TLS_PEER_TRUSTED_CA_FILE'],
])('the variable of %s is %s', (path, env) => {
  expect(envVarName(path)).toBe(env);
});

test('every field of the file can also be set by exactly one flag and one variable', () => {
  const schema = z.toJSONSchema(nodeConfigFields, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const fromSchema = fieldPaths(schema).sort();
  expect(fromSchema).toContain('tls.peer.clientCertAuth');
  const fromOptions = configOptions.flatMap((o) => (o.path === undefined ? [] : [o.path])).sort();
  expect(fromOptions).toEqual(fromSchema);
});

test('flags and variables are unique, and variables follow the field path', () => {
  expect(new Set(configOptions.map((o) => o.flag)).size).toBe(configOptions.length);
  expect(new Set(configOptions.map((o) => o.env)).size).toBe(configOptions.length);
  for (const option of configOptions) {
    expect(option.env).toBe(option.path === undefined ? 'RAFTKIT_CONFIG' : envVarName(option.path));
  }
});
