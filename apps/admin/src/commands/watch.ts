/** `raftctl watch`: the status table, redrawn in place until Ctrl-C. */
import type { Command } from 'commander';
import { durationOption, formatDuration } from '../cli/duration.js';
import { withExamples } from '../cli/help.js';
import { onInterrupt } from '../cli/interrupt.js';
import { stdoutClosed } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { clusterJson, renderClusterTable } from '../cluster/render.js';
import { type ClusterView, collectClusterView } from '../cluster/view.js';

/** The line under the table: who leads, or that nobody does. */
export function leaderLine(view: ClusterView): string {
  return view.leaderId ? `leader: member ${view.leaderId}, term ${view.term}` : `no leader (term ${view.term})`;
}

/** How many terminal rows `text` takes at `columns` characters per row. */
export function screenRows(text: string, columns: number): number {
  return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / Math.max(1, columns))), 0);
}

/**
 * Polls the cluster every `intervalMs` and shows it: redrawn in place on a
 * terminal, printed again when it changed otherwise, one JSON line per poll
 * with --json. Returns when interrupted or when stdout is closed.
 */
export async function runWatch(s: Session, intervalMs: number): Promise<void> {
  const interrupt = onInterrupt();
  const out = process.stdout;
  const redraw = out.isTTY === true && !s.globals.json;
  let shownRows = 0;
  let lastBody = '';
  try {
    // A reader that went away (`raftctl watch --json | head -5`) ends the watch like Ctrl-C;
    // as with any program, that shows at the first write after it left.
    while (!interrupt.requested && !stdoutClosed()) {
      const view = await Promise.race([collectClusterView(s.conns, s.globals.endpoints), interrupt.promise]);
      if (!view) break;
      const time = new Date().toISOString();
      if (s.globals.json) {
        out.write(`${JSON.stringify({ time, ...clusterJson(view) })}\n`);
      } else {
        const body = `${renderClusterTable(view)}\n\n${leaderLine(view)}\n`;
        if (redraw) {
          const frame = `Every ${formatDuration(intervalMs)}: raftctl status   ${time.slice(11, 19)}   (Ctrl-C to quit)\n\n${body}`;
          // Move to the first row of the previous frame and clear to the end of the screen.
          const erase = shownRows > 0 ? `\x1b[${shownRows}F\x1b[0J` : '';
          out.write(erase + frame);
          // A terminal that reports no width (0) is taken as 80 columns wide.
          shownRows = screenRows(frame.replace(/\n$/, ''), out.columns || 80);
        } else if (body !== lastBody) {
          out.write(`${lastBody ? '\n' : ''}${time}\n${body}`);
        }
        lastBody = body;
      }
      await interrupt.sleep(intervalMs);
    }
  } finally {
    interrupt.dispose();
  }
}

/** Registers `watch`. */
export function registerWatch(program: Command): void {
  const cmd = program
    .command('watch')
    .description('show the status table, updating in place until Ctrl-C')
    .addOption(durationOption('--interval <duration>', 'time between two updates', 1000))
    .addHelpText('after', '\nOn a terminal the table is redrawn in place; otherwise it is printed again each time it changes.\nWith --json, one JSON object per line and update. Ctrl-C exits with code 0.')
    .action((opts: { interval: number }, c: Command) => runSession(c, (s) => runWatch(s, opts.interval)));
  withExamples(cmd, ['raftctl watch', 'raftctl watch --interval 250ms', 'raftctl watch --json > status.ndjson']);
}
