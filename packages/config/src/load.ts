import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, makeIssue, showValue, type ConfigIssue } from './issues.js';
import { mergeLayers, type Layer, type MergedLayers } from './layers.js';
import { configOptions } from './options.js';
import { valueAt } from './path.js';
import { nodeConfigSchema } from './schema.js';
import { readArguments } from './sources/arguments.js';
import { readConfigFile } from './sources/config-file.js';
import { readEnvironment } from './sources/environment.js';
import type { NodeConfig, TlsSettings } from './types.js';
import { toConfigIssues, type SourceOf } from './zod-issues.js';

/** Where `loadConfig` reads from; each defaults to the running process's own. */
export interface LoadConfigOptions {
  /** Command-line arguments without the node and script paths. Default `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** Environment variables. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are taken from. Default `process.cwd()`. */
  cwd?: string;
}

/** Fields whose ticks and ms forms replace each other across sources (see `mergeLayers`). */
const TIMING_ALTERNATIVES = [
  [
    ['timing', 'heartbeatTicks'],
    ['timing', 'heartbeatMs'],
  ],
  [
    ['timing', 'electionTicks'],
    ['timing', 'electionMs'],
  ],
  [
    ['timing', 'electionTicksMax'],
    ['timing', 'electionMsMax'],
  ],
];

const TLS_FILE_FIELDS = configOptions.flatMap((o) =>
  o.kind === 'path' && o.path?.startsWith('tls.') ? [o.path.split('.')] : [],
);

/** Makes relative paths absolute, so the server does not depend on where it later changes directory. */
function absolutize(config: NodeConfig, cwd: string): NodeConfig {
  const tls = <T extends TlsSettings>(side: T | null): T | null =>
    side && {
      ...side,
      certFile: resolve(cwd, side.certFile),
      keyFile: resolve(cwd, side.keyFile),
      ...(side.trustedCaFile !== undefined && { trustedCaFile: resolve(cwd, side.trustedCaFile) }),
    };
  return { ...config, dataDir: resolve(cwd, config.dataDir), tls: { client: tls(config.tls.client), peer: tls(config.tls.peer) } };
}

/** TLS files are read long after startup (on the first connection); finding them missing then is too late. */
function unreadableFiles(merged: MergedLayers, cwd: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const path of TLS_FILE_FIELDS) {
    const value = valueAt(merged.data, path);
    if (typeof value !== 'string' || value === '') continue;
    const file = resolve(cwd, value);
    let reason: string | undefined;
    try {
      if (statSync(file).isFile()) accessSync(file, constants.R_OK);
      else reason = 'not a file';
    } catch (error) {
      reason = error instanceof Error ? (error.message.split(',')[0] ?? error.message) : String(error);
    }
    if (reason === undefined) continue;
    const source = merged.sourceOf(path);
    issues.push(
      makeIssue({
        path: path.join('.'),
        value,
        problem: `cannot read ${showValue(file)} (${reason})`,
        expected: 'a readable PEM file',
        preposition: 'from',
        ...(source !== undefined && { source }),
      }),
    );
  }
  return issues;
}

/** The source of a value, or "default" when no source set it and the schema filled it in. */
function sourceFinder(merged: Pick<MergedLayers, 'data' | 'sourceOf'>): SourceOf {
  return (path, options) =>
    merged.sourceOf(path, options) ?? (valueAt(merged.data, path) === undefined ? 'default' : undefined);
}

/**
 * Loads the configuration of this member from a YAML or JSON file
 * (`--config FILE` or `RAFTKIT_CONFIG`), `RAFTKIT_*` environment variables
 * and command-line flags. Flags beat the environment, the environment beats
 * the file, the file beats the defaults; with nothing at all, the node is a
 * one-member cluster on localhost with its data in `./data`.
 *
 * `--help` and `--version` are accepted and ignored; check for them first
 * with `detectInfoFlag`. Throws a {@link ConfigError} listing every problem
 * found, each with the field, the value given, where it came from and what
 * was expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): NodeConfig {
  const cwd = options.cwd ?? process.cwd();
  const args = readArguments(options.argv ?? process.argv.slice(2));
  const env = readEnvironment(options.env ?? process.env);
  const issues: ConfigIssue[] = [];

  const layers: Layer[] = [];
  const configFile = args.configFile ?? env.configFile;
  let fileFailed = false;
  if (configFile) {
    const file = readConfigFile(configFile, cwd);
    issues.push(...file.issues);
    fileFailed = file.failed;
    if (file.layer) layers.push(file.layer);
  }
  issues.push(...env.issues, ...args.issues);
  if (env.layer) layers.push(env.layer);
  if (args.layer) layers.push(args.layer);

  // Without the file, the rest cannot be judged: its members, ports and
  // timings are unknown, and checking without them would report phantoms.
  if (!fileFailed) {
    const merged = mergeLayers(layers, TIMING_ALTERNATIVES);
    const result = nodeConfigSchema.safeParse(merged.data, { reportInput: true });
    if (!result.success) issues.push(...toConfigIssues(result.error.issues, sourceFinder(merged)));
    issues.push(...unreadableFiles(merged, cwd));
    if (result.success && issues.length === 0) return absolutize(result.data, cwd);
  }
  throw new ConfigError(issues);
}

/**
 * Validates and resolves a configuration built in code (tests, launchers),
 * with the same rules and messages as `loadConfig`; paths are left as given.
 */
export function parseNodeConfig(input: unknown): NodeConfig {
  const result = nodeConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const sourceOf: SourceOf = (path) => (valueAt(input, path) === undefined ? 'default' : undefined);
  throw new ConfigError(toConfigIssues(result.error.issues, sourceOf));
}
