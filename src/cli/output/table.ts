// Plain-text tables in kubectl's manner: uppercase headers, left-aligned columns, at least 3 spaces between.

const GAP = "   ";

export interface Table {
  headers: string[];
  rows: string[][];
}

/** Renders a table, one line per row after the header line, each ending in a newline. */
export function formatTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    widths
      .map((width, column) => (cells[column] ?? "").padEnd(width))
      .join(GAP)
      .trimEnd();
  return [table.headers, ...table.rows].map((cells) => `${line(cells)}\n`).join("");
}
