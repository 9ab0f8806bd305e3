import { parseArgs, type ParseArgsConfig } from 'node:util';
import { makeIssue, REDACTED, type ConfigIssue } from '../issues.js';
import { LayerBuilder, type Layer } from '../layers.js';
import { configOptions, type ConfigOption } from '../options.js';
import { closestName } from '../suggest.js';
import type { ConfigFileReference } from './environment.js';
import { readText } from './text-values.js';

/** A request for information rather than a server: the app prints something and exits. */
export type InfoFlag = 'help' | 'version';

/**
 * Finds `-h`/`--help` or `--version` among the arguments (before `--`;
 * `-help` and `-version` too, as Go programs such as etcd accept them).
 * Call it before `loadConfig`: `--help` must work even when the rest of the
 * command line or the config file is broken. `loadConfig` itself accepts
 * and ignores these flags.
 */
export function detectInfoFlag(argv: readonly string[]): InfoFlag | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (arg === '-h' || arg === '--help' || arg === '-help') return 'help';
    if (arg === '--version' || arg === '-version') return 'version';
  }
  return undefined;
}

/** What the command line contributes. */
export interface ArgumentReading {
  layer: Layer | undefined;
  configFile: ConfigFileReference | undefined;
  issues: ConfigIssue[];
}

const byName = new Map(configOptions.map((o) => [o.flag.slice(2), o]));
const parseOptions: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  ...Object.fromEntries(
    configOptions.map((o) => [o.flag.slice(2), { type: o.kind === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: true }]),
  ),
};

const LISTS = new Set<ConfigOption['kind']>(['addresses', 'members']);

function expectedOf(option: ConfigOption): string {
  return `a value: ${option.flag} ${option.valueName} or ${option.flag}=${option.valueName}`;
}

const SINGLE_DASH_LONG = /^-[a-z][a-z0-9-]+(=.*)?$/s;

/**
 * Go's flag package, and so etcd, also accepts `-data-dir`; etcd users
 * write it that way. Such arguments get their second dash back (and are
 * remembered, to be named as written in errors) instead of being taken
 * apart as the short flags -d -a -t -a.
 */
function withDoubleDashes(argv: readonly string[]): { args: string[]; singleDash: Set<number> } {
  const singleDash = new Set<number>();
  const end = argv.indexOf('--');
  const args = argv.map((arg, i) => {
    if ((end >= 0 && i > end) || !SINGLE_DASH_LONG.test(arg)) return arg;
    singleDash.add(i);
    return `-${arg}`;
  });
  return { args, singleDash };
}

/**
 * Reads the flags of `configOptions`, etcd style: `--flag value` or
 * `--flag=value`; booleans as `--flag` or `--flag=false`. A scalar given
 * twice keeps the last value; list flags (`--listen-client-urls`,
 * `--initial-cluster`) may be repeated or comma-separated. Unknown flags and
 * stray arguments are errors, each with a did-you-mean where one is close.
 */
export function readArguments(given: readonly string[]): ArgumentReading {
  const { args: argv, singleDash } = withDoubleDashes(given);
  const { tokens } = parseArgs({ args: argv, options: parseOptions, strict: false, allowPositionals: true, tokens: true });
  const issues: ConfigIssue[] = [];
  const texts = new Map<ConfigOption, { flag: string; values: string[] }>();
  const consumed = new Set<number>();
  let previousBoolean: { flag: string; index: number } | undefined;

  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (consumed.has(token.index)) continue;
      const afterBoolean = previousBoolean?.index === token.index - 1 ? previousBoolean.flag : undefined;
      issues.push(
        makeIssue({
          path: `argv[${token.index}]`,
          value: token.value,
          expected: afterBoolean
            ? `${afterBoolean}=${token.value}, since a boolean flag takes its value after =`
            : 'a flag; this program takes no positional arguments',
        }),
      );
      continue;
    }
    previousBoolean = undefined;
    if (token.name === 'help' || token.name === 'version') continue;
    const option = byName.get(token.name);
    if (!option) {
      const name = token.name;
      // `--unknown value`: the value belongs to the unknown flag, not to a stray argument.
      if (token.value === undefined) consumed.add(token.index + 1);
      const next = argv[token.index + 1];
      const value = token.value ?? (next !== undefined && !next.startsWith('-') ? next : undefined);
      const suggestion = closestName(name, [...byName.keys(), 'help', 'version']);
      issues.push(
        makeIssue({
          path: singleDash.has(token.index) ? `-${name}` : token.rawName,
          value: /token|secret|passw/i.test(name) ? REDACTED : value,
          problem: 'unknown flag',
          showGiven: true,
          expected: 'a flag listed in --help',
          ...(suggestion !== undefined && { suggestion: `--${suggestion}` }),
        }),
      );
      continue;
    }
    let text = token.value;
    if (option.kind === 'boolean') {
      if (text === undefined) previousBoolean = { flag: token.rawName, index: token.index };
      text ??= 'true';
    } else if (text === undefined || (!token.inlineValue && text.startsWith('--'))) {
      issues.push(
        makeIssue({
          path: token.rawName,
          value: undefined,
          problem: text === undefined ? 'missing value' : `missing value (the next argument is the flag ${text})`,
          expected: expectedOf(option),
        }),
      );
      continue;
    }
    const entry = texts.get(option) ?? { flag: token.rawName, values: [] };
    entry.flag = token.rawName;
    entry.values.push(text);
    texts.set(option, entry);
  }

  const builder = new LayerBuilder();
  let configFile: ConfigFileReference | undefined;
  for (const [option, { flag, values }] of texts) {
    const text = LISTS.has(option.kind) ? values.join(',') : (values[values.length - 1] ?? '');
    if (option.path === undefined) {
      configFile = { path: text, namedBy: flag };
      continue;
    }
    const read = readText(option, text);
    for (const p of read.problems) {
      issues.push(makeIssue({ path: `${option.path}[${p.index}]`, value: p.value, expected: p.expected, source: flag }));
    }
    builder.set(option.path.split('.'), read.value, flag);
  }
  return { layer: builder.isEmpty ? undefined : builder.build(), configFile, issues };
}
