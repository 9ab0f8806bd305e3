/** Durations on the command line, as Go tools such as etcdctl write them: `500ms`, `5s`, `2m`, or plain seconds. */
import { InvalidArgumentError, Option } from 'commander';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds.
 *
 * @throws InvalidArgumentError (commander reports it as a usage error) when the text is not a positive duration
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`'${text}' is not a duration; write it like 500ms, 5s or 2m.`);
  const ms = Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
  if (!(ms > 0)) throw new InvalidArgumentError(`'${text}' must be longer than zero.`);
  return Math.round(ms);
}

/** A duration for people: `850ms`, `5s`, `1.5s`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  return `${Number((ms / 60_000).toFixed(1))}m`;
}

/** A `--flag <duration>` option whose help shows its default as a duration (`30s`), not as milliseconds. */
export function durationOption(flags: string, description: string, defaultMs: number): Option {
  return new Option(flags, description).argParser(parseDuration).default(defaultMs, formatDuration(defaultMs));
}
