import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and trims line ends', () => {
    const rows = [
      { id: 1, name: 'alpha', note: '' },
      { id: 12, name: 'b', note: 'x' },
    ];
    const text = renderTable(
      [
        { header: 'ID', cell: (r) => String(r.id), right: true },
        { header: 'NAME', cell: (r) => r.name },
        { header: 'NOTE', cell: (r) => r.note },
      ],
      rows,
    );
    expect(text).toBe(['ID   NAME    NOTE', ' 1   alpha', '12   b       x'].join('\n'));
  });

  it('prints only the header when there are no rows', () => {
    expect(renderTable([{ header: 'A', cell: () => '' }], [])).toBe('A');
  });
});
