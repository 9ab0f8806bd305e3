import type { ConfigOption } from '../options.js';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A malformed part of a flag or variable value, found before the schema sees it. */
export interface TextProblem {
  /** Index of the list item at fault. */
  index: number;
  value: string;
  expected: string;
}

/** The value a flag or variable stands for, and any items that could not be read. */
export interface TextValue {
  value: unknown;
  problems: TextProblem[];
}

/**
 * Splits `1=10.0.0.1:2380,2=10.0.0.2:2380` (etcd's `--initial-cluster`,
 * with member ids where etcd has names) into member entries.
 */
function readMembers(text: string): TextValue {
  const members: { id: unknown; peer: string }[] = [];
  const problems: TextProblem[] = [];
  text.split(',').forEach((raw, index) => {
    const item = raw.trim();
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      problems.push({ index, value: item, expected: 'id=host:port, e.g. 1=10.0.0.1:2380' });
      return;
    }
    members.push({ id: readInteger(item.slice(0, eq).trim()), peer: item.slice(eq + 1).trim() });
  });
  return { value: members, problems };
}

// Text that is not a whole number is passed on as text, so the schema
// reports it with the field's own expectation.
function readInteger(text: string): unknown {
  return /^[+-]?\d+$/.test(text) ? Number(text) : text;
}

/** Turns the text of a flag or environment variable into the value the schema expects for `option`. */
export function readText(option: ConfigOption, text: string): TextValue {
  switch (option.kind) {
    case 'integer':
      return { value: readInteger(text.trim()), problems: [] };
    case 'boolean': {
      const word = text.trim().toLowerCase();
      return { value: TRUE.has(word) ? true : FALSE.has(word) ? false : text, problems: [] };
    }
    case 'addresses':
      // The schema splits comma-separated text itself, exactly as it does in files.
      return { value: text, problems: [] };
    case 'members':
      return readMembers(text);
    case 'string':
    case 'path':
      return { value: text, problems: [] };
  }
}
