import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { readZoneFileSerial, ZoneFileWriter } from "./zone-file-writer.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orchestra-zone-writer-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a burst of changes makes one write, after the debounce delay", async () => {
  const clock = new ManualClock();
  const path = join(dir, "cluster.zone");
  let renders = 0;
  const writer = new ZoneFileWriter({ path, render: () => `version ${++renders}\n`, debounceMs: 100, clock });
  writer.changed();
  writer.changed();
  clock.advance(50);
  writer.changed();
  assert.deepEqual(readdirSync(dir), [], "nothing written before the delay");
  clock.advance(50);
  await writer.flush();
  assert.equal(renders, 1);
  assert.equal(readFileSync(path, "utf8"), "version 1\n");
  // Nothing changed since: no write.
  clock.advance(1000);
  await writer.flush();
  assert.equal(renders, 1);
  writer.changed();
  await writer.stop();
  assert.equal(readFileSync(path, "utf8"), "version 2\n", "stop writes what is pending");
  writer.changed();
  clock.advance(1000);
  await writer.flush();
  assert.equal(renders, 2, "nothing after stop");
  assert.deepEqual(readdirSync(dir), ["cluster.zone"], "no temporary file left behind");
});

test("a failed write is tried again", async () => {
  const clock = new ManualClock();
  const path = join(dir, "missing-folder", "cluster.zone");
  const writer = new ZoneFileWriter({ path, render: () => "x\n", debounceMs: 10, retryMs: 500, clock });
  writer.changed();
  clock.advance(10);
  await writer.flush();
  assert.deepEqual(readdirSync(dir), []);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(dir, "missing-folder"));
  clock.advance(500);
  await writer.flush();
  assert.equal(readFileSync(path, "utf8"), "x\n");
  await writer.stop();
});

test("readZoneFileSerial: the serial of an existing file, undefined when there is none", async () => {
  const clock = new ManualClock();
  const path = join(dir, "z");
  assert.equal(await readZoneFileSerial(path), undefined);
  const writer = new ZoneFileWriter({ path, render: () => "@ IN SOA ns. host. 77 1 2 3 4\n", clock });
  writer.changed();
  await writer.stop();
  assert.equal(await readZoneFileSerial(path), 77);
});
