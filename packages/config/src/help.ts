import { configOptions, type ConfigOption } from './options.js';

/** Layout of {@link formatConfigHelp}. */
export interface HelpOptions {
  /** Total line width. Default 100. */
  width?: number;
}

const INDENT = '  ';
const FLAG_COLUMN = 34;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function entry(flags: string, details: string[], width: number): string[] {
  const textWidth = Math.max(20, width - FLAG_COLUMN);
  const body = details.flatMap((d) => wrap(d, textWidth));
  const head = `${INDENT}${flags}`;
  const pad = ' '.repeat(FLAG_COLUMN);
  const lines: string[] = [];
  if (head.length < FLAG_COLUMN - 1) {
    lines.push(head.padEnd(FLAG_COLUMN) + (body[0] ?? ''));
    body.slice(1).forEach((b) => lines.push(pad + b));
  } else {
    lines.push(head);
    body.forEach((b) => lines.push(pad + b));
  }
  return lines;
}

function describe(option: ConfigOption): string[] {
  const where = [`env ${option.env}`];
  if (option.path !== undefined) where.push(`file ${option.path}`);
  if (option.defaultText !== undefined) where.push(`default ${option.defaultText}`);
  return [option.description, where.join(' · ')];
}

/**
 * The options section of the server's `--help`: every flag, grouped, with
 * its environment variable, its field in the config file and its default.
 */
export function formatConfigHelp(options: HelpOptions = {}): string {
  const width = options.width ?? 100;
  const lines = wrap(
    'Settings come from flags, then RAFTKIT_* environment variables, then the --config file, then defaults; the first that sets a value wins.',
    width,
  );
  let group: string | undefined;
  for (const option of configOptions) {
    if (option.group !== group) {
      group = option.group;
      lines.push('', `${group}:`);
    }
    const flags = option.valueName === '' ? option.flag : `${option.flag} ${option.valueName}`;
    lines.push(...entry(flags, describe(option), width));
  }
  lines.push('', 'Other:');
  lines.push(...entry('-h, --help', ['Show this help and exit.'], width));
  lines.push(...entry('--version', ['Show the version and exit.'], width));
  return lines.join('\n');
}
