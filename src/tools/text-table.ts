// Tables printed on a terminal: columns padded to their widest cell, numbers right-aligned.

/** The rows of `cells` (the first being the header) as lines, columns two spaces apart; `rightAligned` holds column indices. */
export function formatColumns(cells: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}
