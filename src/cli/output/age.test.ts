import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAge } from "./age.js";

const now = Date.parse("2025-06-01T12:00:00Z");
const ago = (ms: number) => new Date(now - ms).toISOString();
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("formatAge", () => {
  test("uses the largest whole unit: s, m, h, d, y", () => {
    assert.equal(formatAge(ago(0), now), "0s");
    assert.equal(formatAge(ago(5 * SECOND), now), "5s");
    assert.equal(formatAge(ago(59 * SECOND + 999), now), "59s");
    assert.equal(formatAge(ago(60 * SECOND), now), "1m");
    assert.equal(formatAge(ago(3 * MINUTE + 59 * SECOND), now), "3m");
    assert.equal(formatAge(ago(2 * HOUR + 30 * MINUTE), now), "2h");
    assert.equal(formatAge(ago(23 * HOUR), now), "23h");
    assert.equal(formatAge(ago(4 * DAY + 5 * HOUR), now), "4d");
    assert.equal(formatAge(ago(364 * DAY), now), "364d");
    assert.equal(formatAge(ago(800 * DAY), now), "2y");
  });

  test("takes epoch milliseconds too", () => {
    assert.equal(formatAge(now - 90 * SECOND, now), "1m");
  });

  test("a timestamp slightly in the future (clock skew) reads 0s; far in the future is invalid", () => {
    assert.equal(formatAge(new Date(now + 500).toISOString(), now), "0s");
    assert.equal(formatAge(new Date(now + 10 * SECOND).toISOString(), now), "<invalid>");
  });

  test("a missing or unreadable timestamp is <unknown>", () => {
    assert.equal(formatAge(undefined, now), "<unknown>");
    assert.equal(formatAge("yesterday", now), "<unknown>");
  });
});
