import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { backoffOptionsOf, CrashBackoff } from "./crash-backoff.js";

describe("CrashBackoff", () => {
  test("restarts the first crash at once, then doubles up to the maximum", () => {
    const clock = new ManualClock(0);
    const backoff = new CrashBackoff(clock);
    const delays = Array.from({ length: 12 }, () => backoff.crashed("p").delayMs);
    assert.deepEqual(delays.slice(0, 5), [0, 1000, 2000, 4000, 8000]);
    assert.equal(delays.at(-1), 300_000);
  });

  test("follows a pod's restart policy and says when it is over its limit", () => {
    const clock = new ManualClock(0);
    const backoff = new CrashBackoff(clock, { initialMs: 50 });
    const policy = backoffOptionsOf({
      backoffInitialSeconds: 2,
      backoffMaxSeconds: 5,
      resetAfterSeconds: 60,
      limit: 2,
    });
    const crashes = [1, 2, 3, 4].map(() => backoff.crashed("p", policy));
    assert.deepEqual(
      crashes.map((c) => [c.consecutive, c.delayMs, c.overLimit]),
      [
        [1, 0, false],
        [2, 2000, false],
        [3, 4000, true],
        [4, 5000, true],
      ],
    );
    assert.equal(backoff.crashed("other").delayMs, 0);
    assert.equal(backoff.crashed("other").delayMs, 50, "a pod without a policy gets the worker's defaults");
  });

  test("forgets crashes after running long enough without one", () => {
    const clock = new ManualClock(0);
    const backoff = new CrashBackoff(clock, { resetAfterMs: 10_000 });
    backoff.crashed("p");
    backoff.crashed("p");
    clock.advance(10_000);
    assert.equal(backoff.crashed("p").consecutive, 1);
    backoff.forget("p");
    assert.equal(backoff.crashed("p").consecutive, 1);
  });
});
