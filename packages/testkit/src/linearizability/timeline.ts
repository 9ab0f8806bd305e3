/** One operation on a {@link renderTimeline} chart. */
export interface TimelineRow {
  /** Shown in the left column, usually the client. */
  readonly lane: string;
  /** Time the operation was invoked, in the same units as `complete`; where its bar starts. */
  readonly invoke: number;
  /** Undefined for an operation that never completed; its bar runs off the right edge. */
  readonly complete: number | undefined;
  /** `failed` bars are dotted, `unknown` bars are open-ended, whatever `complete` says. */
  readonly status: 'ok' | 'failed' | 'unknown';
  /** Shown after the bar. */
  readonly label: string;
}

function bar(from: number, to: number, fill: string, open: boolean): string {
  if (open) return `[${fill.repeat(Math.max(0, to - from - 1))}>`;
  if (from === to) return '|';
  return `[${fill.repeat(to - from - 1)}]`;
}

/**
 * Draws operations as bars on a shared time axis, one row each:
 *
 * ```text
 * c1   [===]         #0 write(x, "a")  [0, 10]
 * c2       [=====]   #1 read(x) -> absent  [10, 30]
 * c3     [~~~~~~~~~> #2 delete(x)  [5, ?)
 * c4         [.]     #3 write(x, "b")  [12, 20] failed
 * c55            |   #4 read(x) -> absent  [30, 30]
 * ```
 *
 * The axis is ordinal, not to scale: every distinct time gets its own
 * column, so what overlaps is visible however far apart the times are.
 * Completed operations are `=`, failed ones `.`, and unknown ones `~` with
 * an arrow, since they may take effect at any later time.
 */
export function renderTimeline(rows: readonly TimelineRow[]): string[] {
  const times = [...new Set(rows.flatMap((row) => (row.complete === undefined ? [row.invoke] : [row.invoke, row.complete])))].sort(
    (a, b) => a - b,
  );
  const column = new Map(times.map((time, rank) => [time, 2 * rank]));
  // One column past the last time, so that open-ended bars always show their arrow.
  const right = 2 * times.length;
  const laneWidth = Math.max(...rows.map((row) => row.lane.length), 0);
  return rows.map((row) => {
    const from = column.get(row.invoke)!;
    const open = row.status === 'unknown' || row.complete === undefined;
    const to = open ? right : column.get(row.complete!)!;
    const drawn = bar(from, to, row.status === 'failed' ? '.' : row.status === 'unknown' ? '~' : '=', open);
    const lane = row.lane.padEnd(laneWidth);
    return `${lane}  ${' '.repeat(from)}${drawn.padEnd(right + 1 - from)} ${row.label}`.trimEnd();
  });
}
