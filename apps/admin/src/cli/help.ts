/** Help text pieces shared by commands. */
import type { Command } from 'commander';

/** Adds an "Examples:" section to a command's --help. */
export function withExamples(cmd: Command, examples: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}
