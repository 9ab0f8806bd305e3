/**
 * Fixtures take their arguments from the first line of stdin rather than
 * the command line, so the crash tests can start the next process ahead of
 * time (loading its modules) while the previous one still runs.
 */
import { createInterface } from 'node:readline';

/** The whitespace-separated words of the first stdin line. */
export async function readFixtureArgs(): Promise<string[]> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim().split(/\s+/);
  }
  throw new Error('the fixture expected its arguments on stdin');
}

/** Prints one line; stdout is a pipe, which Node writes synchronously on Linux. */
export function printLine(line: string): void {
  process.stdout.write(line + '\n');
}
