import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  test("doubles per failure from 5 ms up to a 30 s cap", () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 16 }, () => backoff.next("web"));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(Math.max(...delays), 30_000);
    assert.equal(delays.at(-1), 30_000);
    assert.equal(backoff.attempts("web"), 16);
  });

  test("keys back off independently and forget resets one", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
    backoff.next("a");
    backoff.next("a");
    assert.equal(backoff.next("b"), 100);
    assert.equal(backoff.next("a"), 400);
    backoff.forget("a");
    assert.equal(backoff.attempts("a"), 0);
    assert.equal(backoff.next("a"), 100);
    assert.equal(backoff.next("b"), 200);
  });

  test("never overflows after very many failures", () => {
    const backoff = new Backoff();
    let delay = 0;
    for (let i = 0; i < 5000; i++) delay = backoff.next("x");
    assert.equal(delay, 30_000);
  });

  test("after() fires on the injected clock once the delay has passed", () => {
    const clock = new ManualClock();
    const backoff = new Backoff({ initialMs: 50 });
    let fired = 0;
    backoff.after("k", clock, () => fired++);
    clock.advance(49);
    assert.equal(fired, 0);
    clock.advance(1);
    assert.equal(fired, 1);
    const cancel = backoff.after("k", clock, () => fired++);
    cancel();
    clock.advance(1000);
    assert.equal(fired, 1);
  });

  test("rejects nonsense options", () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), RangeError);
  });
});
