import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatTable } from "./table.js";

describe("formatTable", () => {
  test("pads every column to its widest cell with at least three spaces between columns", () => {
    const text = formatTable({
      headers: ["NAME", "READY", "AGE"],
      rows: [
        ["web", "3/3", "5s"],
        ["a-much-longer-name", "10/10", "4d"],
      ],
    });
    assert.equal(
      text,
      "NAME                 READY   AGE\n" +
        "web                  3/3     5s\n" +
        "a-much-longer-name   10/10   4d\n",
    );
  });

  test("does not leave trailing spaces when the last cell is shorter than its header", () => {
    const text = formatTable({ headers: ["NAME", "MESSAGE"], rows: [["x", ""]] });
    assert.equal(text, "NAME   MESSAGE\nx\n");
  });

  test("prints only the header line for no rows", () => {
    assert.equal(formatTable({ headers: ["NAME", "AGE"], rows: [] }), "NAME   AGE\n");
  });
});
