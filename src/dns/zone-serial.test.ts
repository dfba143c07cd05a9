import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { ZoneSerial } from "./zone-serial.js";

test("starts at unix time, or after the previous serial when that is ahead", () => {
  const clock = new ManualClock(1_700_000_000_500);
  assert.equal(new ZoneSerial(undefined, clock).current, 1_700_000_000);
  assert.equal(new ZoneSerial(1_600_000_000, clock).current, 1_700_000_000);
  assert.equal(new ZoneSerial(1_700_000_000, clock).current, 1_700_000_001);
  assert.equal(new ZoneSerial(1_800_000_000, clock).current, 1_800_000_001);
});

test("every bump increases it, several within a second too", () => {
  const clock = new ManualClock(1_700_000_000_000);
  const serial = new ZoneSerial(undefined, clock);
  const seen = [serial.current, serial.bump(), serial.bump(), serial.bump()];
  assert.deepEqual(seen, [1_700_000_000, 1_700_000_001, 1_700_000_002, 1_700_000_003]);
  clock.advance(60_000);
  assert.equal(serial.bump(), 1_700_000_060);
});
