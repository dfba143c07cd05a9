import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HealthTracker } from "./health-tracker.js";

const check = { retries: 3, startPeriodSeconds: 10 };

describe("HealthTracker", () => {
  test("is starting until the first success, then healthy", () => {
    const tracker = new HealthTracker(check, 0);
    assert.equal(tracker.verdict, "starting");
    assert.equal(tracker.record(false, 11_000), false);
    assert.equal(tracker.verdict, "starting");
    assert.equal(tracker.record(true, 12_000), true);
    assert.equal(tracker.verdict, "healthy");
    assert.equal(tracker.record(true, 13_000), false, "no change, nothing to report");
  });

  test("failures within the start period do not count", () => {
    const tracker = new HealthTracker(check, 0);
    for (let t = 0; t < 10_000; t += 1000) tracker.record(false, t);
    assert.equal(tracker.verdict, "starting");
    assert.equal(tracker.consecutiveFailures, 0);
    tracker.record(false, 10_000);
    tracker.record(false, 11_000);
    assert.equal(tracker.verdict, "starting");
    assert.equal(tracker.record(false, 12_000, "exit 1"), true);
    assert.equal(tracker.verdict, "unhealthy");
    assert.equal(tracker.detail, "exit 1");
  });

  test("a success ends the start period early: later failures count at once", () => {
    const tracker = new HealthTracker(check, 0);
    tracker.record(true, 1000);
    tracker.record(false, 2000);
    tracker.record(false, 3000);
    assert.equal(tracker.verdict, "healthy");
    tracker.record(false, 4000);
    assert.equal(tracker.verdict, "unhealthy");
  });

  test("only consecutive failures count: a success in between starts over", () => {
    const tracker = new HealthTracker({ retries: 2, startPeriodSeconds: 0 }, 0);
    tracker.record(true, 0);
    tracker.record(false, 1);
    tracker.record(true, 2);
    tracker.record(false, 3);
    assert.equal(tracker.verdict, "healthy");
    assert.equal(tracker.consecutiveFailures, 1);
    tracker.record(false, 4);
    assert.equal(tracker.verdict, "unhealthy");
    tracker.record(true, 5);
    assert.equal(tracker.verdict, "healthy");
  });

  test("can start from a verdict known before (an adopted container)", () => {
    const tracker = new HealthTracker({ retries: 1, startPeriodSeconds: 60 }, 0, "healthy");
    assert.equal(tracker.verdict, "healthy");
    tracker.record(false, 1000);
    assert.equal(tracker.verdict, "unhealthy", "a healthy container has no start period left");
  });
});
