import { makeIssue, REDACTED, type ConfigIssue } from '../issues.js';
import { LayerBuilder, type Layer } from '../layers.js';
import { configOptions } from '../options.js';
import { closestName } from '../suggest.js';
import { readText } from './text-values.js';

/** The prefix that marks a variable as raftkit configuration; unknown variables with it are errors. */
export const ENV_PREFIX = 'RAFTKIT_';

/** Where a config file was named: its path and the flag or variable that named it. */
export interface ConfigFileReference {
  path: string;
  namedBy: string;
}

/** What the environment contributes. */
export interface EnvironmentReading {
  layer: Layer | undefined;
  configFile: ConfigFileReference | undefined;
  issues: ConfigIssue[];
}

const byEnv = new Map(configOptions.map((o) => [o.env, o]));
const SECRET_NAME = /TOKEN|SECRET|PASSW/i;

/**
 * Reads `RAFTKIT_*` variables. An empty variable counts as unset, so
 * `RAFTKIT_X=` in a script changes nothing. A misspelled variable would be
 * silently ignored by most programs; here it is an error, with the variable
 * it was probably meant to be.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvironmentReading {
  const builder = new LayerBuilder();
  const issues: ConfigIssue[] = [];
  let configFile: ConfigFileReference | undefined;
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || text === undefined || text === '') continue;
    const option = byEnv.get(name as `RAFTKIT_${string}`);
    if (!option) {
      const suggestion = closestName(name.slice(ENV_PREFIX.length), [...byEnv.keys()].map((k) => k.slice(ENV_PREFIX.length)));
      issues.push(
        makeIssue({
          path: name,
          value: SECRET_NAME.test(name) ? REDACTED : text,
          problem: 'unknown environment variable',
          showGiven: true,
          expected: 'a RAFTKIT_ variable listed in --help',
          ...(suggestion !== undefined && { suggestion: ENV_PREFIX + suggestion }),
        }),
      );
      continue;
    }
    if (option.path === undefined) {
      configFile = { path: text, namedBy: name };
      continue;
    }
    const read = readText(option, text);
    for (const p of read.problems) {
      issues.push(makeIssue({ path: `${option.path}[${p.index}]`, value: p.value, expected: p.expected, source: name }));
    }
    builder.set(option.path.split('.'), read.value, name);
  }
  return { layer: builder.isEmpty ? undefined : builder.build(), configFile, issues };
}
