import { describe, expect, it } from 'vitest';
import { CliError, asCliError, formatErrorLine } from './errors.js';
import { ExitCode } from './exit-codes.js';

describe('formatErrorLine', () => {
  it('says where, what and what to try on one line', () => {
    const e = new CliError(ExitCode.Unreachable, 'unreachable (connection refused)', { endpoint: '10.0.0.1:2379', hint: 'Check that a member runs there.' });
    expect(formatErrorLine(e)).toBe('Error: 10.0.0.1:2379: unreachable (connection refused). Check that a member runs there.');
  });

  it('keeps a message with line breaks on one line', () => {
    expect(formatErrorLine(new CliError(ExitCode.Refused, 'first\nsecond.'))).toBe('Error: first second.');
  });
});

describe('asCliError', () => {
  it('reports a file system error as a local failure naming the file', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/nope/x'"), { code: 'ENOENT', syscall: 'open', path: '/nope/x' });
    const c = asCliError(e);
    expect(c.exitCode).toBe(ExitCode.Local);
    expect(c.message).toBe("/nope/x: no such file or directory, open '/nope/x'");
  });

  it('reports anything else as unexpected, pointing at --debug', () => {
    const c = asCliError(new TypeError('x is undefined'));
    expect(c.exitCode).toBe(ExitCode.Local);
    expect(formatErrorLine(c)).toMatch(/^Error: unexpected failure: x is undefined\. Run again with --debug/);
  });
});
