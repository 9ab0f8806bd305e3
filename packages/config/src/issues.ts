/**
 * One thing wrong with a configuration. Every problem found is reported at
 * once, each saying where it is, what was given and what was expected.
 */
export interface ConfigIssue {
  /**
   * Where the problem is: a field path (`timing.tickMs`, `members[1].peer`),
   * a flag (`--tick-ms`), an environment variable (`RAFTKIT_TICK_MS`), or a
   * file position (`raftkit.yaml:3:5`) when the file itself does not parse.
   */
  path: string;
  /** The value given, as read (`undefined` when missing; `"<redacted>"` for secrets). */
  value: unknown;
  /** What would have been accepted. */
  expected: string;
  /** The whole problem in one line, starting with the path. */
  message: string;
  /**
   * Where the value came from: `raftkit.yaml:3:11`, `--tick-ms`,
   * `RAFTKIT_TIMING_TICK_MS`, `default`, or the field a value was derived
   * from (`members[0].peer`).
   */
  source?: string;
  /** A known name close to an unknown one. */
  suggestion?: string;
}

/** Stands in for secret values in issues and messages. */
export const REDACTED = '<redacted>';

/** Thrown by `loadConfig` when the configuration has problems; `issues` lists all of them. */
export class ConfigError extends Error {
  /** Always `ConfigError`, so the error is recognisable once serialized. */
  override readonly name = 'ConfigError';
  /** Every problem found, in the order of the message's lines; never empty. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
    this.issues = issues;
  }
}

/** The report `ConfigError` carries as its message: a headline, then one line per problem. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`invalid raftkit configuration (${count}):`, ...issues.map((i) => `  - ${i.message}`)].join('\n');
}

const MAX_SHOWN = 60;

/** Shows a value the way it would be written in a file, cut short when long. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === REDACTED) text = REDACTED;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else if (value === null) text = 'null';
  else if (value === undefined) text = 'nothing';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The parts every issue message is made of. */
export interface IssueParts {
  path: string;
  value: unknown;
  expected: string;
  /** Replaces "got <value>"; for unknown names, missing values, unreadable files. */
  problem?: string;
  source?: string;
  suggestion?: string;
  /** How `source` joins a `problem`: "missing in file:3:5", "cannot read ... from --cert-file". */
  preposition?: 'in' | 'from';
  /** Shows the value after the `problem` too: an unknown name's value is given, just not where it can be used. */
  showGiven?: boolean;
}

/**
 * Builds the issue and its message, always in the same shape:
 * `<path>: got <value> from <source>; expected <what>`,
 * `<path>: <problem> in <source>; expected <what>`, or, for an unknown name,
 * `<path>: <problem> in <source>, got <value>; did you mean <name>?`.
 */
export function makeIssue(parts: IssueParts): ConfigIssue {
  const { path, value, expected, problem, source, suggestion, preposition = 'in', showGiven = false } = parts;
  let text: string;
  if (problem !== undefined) {
    text = source === undefined || source === 'default' ? problem : `${problem} ${preposition} ${source}`;
    if (showGiven) text += value === undefined ? ' with no value' : `, got ${showValue(value)}`;
  } else {
    const got = `got ${showValue(value)}`;
    text = source === undefined ? got : source === 'default' ? `${got} by default` : `${got} from ${source}`;
  }
  const tail = suggestion === undefined ? `expected ${expected}` : `did you mean ${suggestion}?`;
  return {
    path,
    value,
    expected,
    message: `${path}: ${text}; ${tail}`,
    ...(source !== undefined && { source }),
    ...(suggestion !== undefined && { suggestion }),
  };
}
