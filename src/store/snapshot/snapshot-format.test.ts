// The snapshot file: what it round-trips, and the one-line reasons a damaged, truncated or foreign file is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  decodeSnapshot,
  encodeSnapshot,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotFormatError,
} from "./snapshot-format.js";

const ENTRIES = [
  { key: "/deployments", value: null },
  { key: "/deployments/web", value: { name: "web", replicas: 2, env: { A: 'é\n"x"' } } },
  { key: "/pods", value: null },
  { key: "/pods/web-1", value: { id: "web-1", restarts: 0 } },
];
const AT = new Date("2026-01-02T03:04:05.000Z");

function refusal(data: Buffer | string): string {
  try {
    decodeSnapshot(Buffer.isBuffer(data) ? data : Buffer.from(data), "s.snap");
  } catch (error) {
    assert.ok(error instanceof SnapshotFormatError, `not a SnapshotFormatError: ${error}`);
    assert.ok(!error.message.includes("\n"), "the message is one line");
    return error.message;
  }
  assert.fail("the snapshot was accepted");
}

describe("snapshot format", () => {
  test("round-trips keys, values and order, with a header naming the format, time and count", () => {
    const data = encodeSnapshot(ENTRIES, AT);
    const { header, entries } = decodeSnapshot(data, "s.snap");
    assert.deepEqual(entries, ENTRIES);
    assert.equal(header.orchestraSnapshot, SNAPSHOT_FORMAT_VERSION);
    assert.equal(header.createdAt, AT.toISOString());
    assert.equal(header.entries, 4);
    assert.match(header.sha256, /^[0-9a-f]{64}$/);
  });

  test("an empty store makes a valid snapshot of no keys", () => {
    assert.deepEqual(decodeSnapshot(encodeSnapshot([], AT), "s.snap").entries, []);
  });

  test("a file cut anywhere is refused as truncated or corrupt", () => {
    const data = encodeSnapshot(ENTRIES, AT);
    const headerEnd = data.indexOf(10);
    for (const cut of [headerEnd + 1, headerEnd + 10, data.length - 1]) {
      assert.match(
        refusal(data.subarray(0, cut)),
        /s\.snap is corrupt or truncated: its content does not match its checksum/,
      );
    }
    assert.match(refusal(data.subarray(0, headerEnd - 5)), /s\.snap is not an Orchestra snapshot/);
    assert.match(refusal(data.subarray(0, headerEnd)), /s\.snap is truncated: it ends inside its header/);
  });

  test("a changed byte is refused by the checksum", () => {
    const text = encodeSnapshot(ENTRIES, AT).toString("utf8").replace('"replicas":2', '"replicas":9');
    assert.match(refusal(text), /corrupt or truncated/);
  });

  test("another format version is refused, naming both versions", () => {
    const text = encodeSnapshot(ENTRIES, AT)
      .toString("utf8")
      .replace('{"orchestraSnapshot":1', '{"orchestraSnapshot":2');
    assert.equal(refusal(text), "s.snap is snapshot format version 2; this Orchestra reads version 1");
  });

  test("a file that is not a snapshot says so", () => {
    assert.match(refusal(""), /not an Orchestra snapshot/);
    assert.match(refusal("name: web\nimage: x\n"), /not an Orchestra snapshot/);
    assert.match(refusal('{"kind":"Deployment"}\n'), /not an Orchestra snapshot/);
  });

  test("entries that pass the checksum are still checked: count, keys, duplicates", () => {
    // Made with a correct checksum, as a buggy or hostile writer could.
    const forge = (lines: string[], count = lines.length) => {
      const body = lines.map((l) => `${l}\n`).join("");
      const valid = encodeSnapshot([], AT).toString("utf8");
      const header = JSON.parse(valid.slice(0, valid.indexOf("\n")));
      return `${JSON.stringify({ ...header, entries: count, sha256: sha256(body) })}\n${body}`;
    };
    assert.match(refusal(forge(['{"key":"/a","value":1}'], 2)), /holds 1 keys, but its header says 2/);
    assert.match(refusal(forge(['{"key":"a/../b","value":1}'])), /line 2 names an invalid key/);
    assert.match(refusal(forge(['{"key":"/a"}'])), /line 2 is not a \{"key", "value"\} entry/);
    assert.match(refusal(forge(["[1,"])), /line 2 is not JSON/);
    assert.match(refusal(forge(['{"key":"/a","value":1}', '{"key":"/a","value":2}'])), /holds \/a twice/);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
