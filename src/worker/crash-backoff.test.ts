import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffOptionsOf, type CrashRecord, countCrash, crashOptions } from "./crash-backoff.js";

/** Crashes at the given times, each counted on the record of the one before. */
function crashesAt(times: number[], options = crashOptions()) {
  let record: CrashRecord | undefined;
  return times.map((now) => {
    const decision = countCrash(record, options, now);
    record = decision.record;
    return decision;
  });
}

describe("crash backoff", () => {
  test("restarts the first crash at once, then doubles up to the maximum", () => {
    const delays = crashesAt(Array.from({ length: 12 }, () => 0)).map((crash) => crash.delayMs);
    assert.deepEqual(delays.slice(0, 5), [0, 1000, 2000, 4000, 8000]);
    assert.equal(delays.at(-1), 300_000);
  });

  test("follows a pod's restart policy and says when it is over its limit", () => {
    const policy = { backoffInitialSeconds: 2, backoffMaxSeconds: 5, resetAfterSeconds: 60, limit: 2 };
    assert.deepEqual(crashOptions({ initialMs: 50 }, policy), backoffOptionsOf(policy));
    const crashes = crashesAt([0, 0, 0, 0], crashOptions({ initialMs: 50 }, policy));
    assert.deepEqual(
      crashes.map((c) => [c.consecutive, c.delayMs, c.overLimit]),
      [
        [1, 0, false],
        [2, 2000, false],
        [3, 4000, true],
        [4, 5000, true],
      ],
    );
    const withoutPolicy = crashesAt([0, 0], crashOptions({ initialMs: 50 }));
    assert.equal(withoutPolicy[1]?.delayMs, 50, "a pod without a policy gets the worker's defaults");
    assert.equal(
      crashOptions({ initialMs: undefined }).initialMs,
      1000,
      "an unset default keeps the built-in one",
    );
  });

  test("forgets crashes after running long enough without one", () => {
    const options = crashOptions({ resetAfterMs: 10_000 });
    const [, second, third] = crashesAt([0, 0, 10_000], options);
    assert.deepEqual([second?.consecutive, third?.consecutive], [2, 1]);
    assert.deepEqual(third?.record, { consecutive: 1, lastCrashAt: 10_000 });
    assert.equal(third?.restartAt, 10_000);
  });
});
