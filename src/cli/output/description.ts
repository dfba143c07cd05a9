// The layout of `orchestra describe`, in kubectl's manner: `Label:  value` lines whose values line up within
// each run of fields at one indentation, headings, and tables indented under them.
import { formatAge } from "./age.js";
import { formatTable, type Table } from "./table.js";

export const NONE = "<none>";

type Item =
  | { kind: "field"; indent: number; label: string; value: string }
  | { kind: "line"; indent: number; text: string };

/** Spaces between the longest label's colon and the values. */
const GAP = 2;

export class Description {
  private readonly items: Item[] = [];

  /** `Label:  value`; an empty or missing value shows as `<none>`, a value of several lines stays aligned. */
  field(label: string, value: string | undefined, indent = 0): this {
    const text = value === undefined || value.trim() === "" ? NONE : value;
    this.items.push({ kind: "field", indent, label, value: text });
    return this;
  }

  /** `Label:` alone on its line, for a block under it. */
  heading(label: string, indent = 0): this {
    this.items.push({ kind: "line", indent, text: `${label}:` });
    return this;
  }

  /** `Label:` then the table under it, indented; `Label:  <none>` when it has no rows. */
  table(label: string, table: Table, indent = 0): this {
    if (table.rows.length === 0) return this.field(label, NONE, indent);
    this.heading(label, indent);
    for (const line of formatTable(table).split("\n")) {
      if (line !== "") this.items.push({ kind: "line", indent: indent + 2, text: line });
    }
    return this;
  }

  /** Every line, each ending in a newline. */
  render(): string {
    const lines: string[] = [];
    let i = 0;
    while (i < this.items.length) {
      const item = this.items[i] as Item;
      if (item.kind === "line") {
        lines.push(`${" ".repeat(item.indent)}${item.text}`);
        i++;
        continue;
      }
      // A run of fields at one indentation: their values start in one column.
      let end = i;
      while (end < this.items.length) {
        const next = this.items[end] as Item;
        if (next.kind !== "field" || next.indent !== item.indent) break;
        end++;
      }
      const run = this.items.slice(i, end) as Extract<Item, { kind: "field" }>[];
      const width = Math.max(...run.map((field) => field.label.length + 1)) + GAP;
      const pad = " ".repeat(item.indent);
      for (const field of run) {
        const [first, ...rest] = field.value.split("\n");
        lines.push(`${pad}${`${field.label}:`.padEnd(width)}${first}`.trimEnd());
        for (const line of rest) lines.push(`${pad}${" ".repeat(width)}${line}`.trimEnd());
      }
      i = end;
    }
    return lines.map((line) => `${line}\n`).join("");
  }
}

/** `2026-11-30T09:00:00.000Z (5m ago)`; undefined (shown as `<none>`) without a time. */
export function timeAndAge(time: string | undefined, now: number): string | undefined {
  return time === undefined || time === "" ? undefined : `${time} (${formatAge(time, now)} ago)`;
}
