/**
 * Plain aligned tables, as kubectl prints them: upper-case headers, columns
 * separated by spaces, numbers right-aligned, no borders (so `grep`, `awk`
 * and `column` work on the output).
 */

/** One column: its header, how to show a row's cell, and its alignment. */
export interface Column<R> {
  header: string;
  cell: (row: R) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

const GAP = '   ';

/** Renders `rows` under `columns`; every line ends without trailing spaces. */
export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => {
        const w = widths[i] ?? 0;
        return columns[i]?.right ? v.padStart(w) : v.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}
