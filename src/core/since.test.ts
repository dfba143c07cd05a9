import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "./errors.js";
import { parseSince } from "./since.js";

describe("parseSince", () => {
  const now = Date.parse("2030-01-01T12:00:00Z");

  test("a duration counts back from now", () => {
    assert.equal(parseSince("30s", now), now - 30_000);
    assert.equal(parseSince("10m", now), now - 600_000);
    assert.equal(parseSince("2h", now), now - 7_200_000);
    assert.equal(parseSince("1h30m", now), now - 5_400_000);
    assert.equal(parseSince("1m30s", now), now - 90_000);
    assert.equal(parseSince("500ms", now), now - 500);
  });

  test("an RFC 3339 time stands for itself", () => {
    assert.equal(parseSince("2030-01-01T11:00:00Z", now), now - 3_600_000);
    assert.equal(parseSince("2030-01-01T13:00:00.250+02:00", now), now - 3_600_000 + 250);
  });

  test("anything else is refused, naming the field", () => {
    for (const bad of ["", "10", "ten minutes", "10x", "2030-01-01", "-5m", "m"]) {
      assert.throws(
        () => parseSince(bad, now, "since"),
        (err) => err instanceof ValidationError && err.field === "since" && /30s, 10m/.test(err.message),
        bad,
      );
    }
  });
});
