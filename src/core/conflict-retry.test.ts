import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Clock } from "./clock.js";
import { CONFLICT_RETRY, conflictDelays, retryOnConflict } from "./conflict-retry.js";
import { ConflictError, FencedError, NotFoundError } from "./errors.js";

/** A clock whose timers fire at once (on the next microtask), recording each delay asked for. */
function instantClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => 0,
    setTimeout(fn, ms) {
      delays.push(ms);
      queueMicrotask(fn);
      return () => undefined;
    },
  };
}

describe("retryOnConflict", () => {
  test("the policy: 5 attempts, waiting 10, 20, 40 and 80 ms between them", () => {
    assert.equal(CONFLICT_RETRY.attempts, 5);
    assert.deepEqual(conflictDelays(CONFLICT_RETRY), [10, 20, 40, 80]);
    assert.deepEqual(
      conflictDelays({ attempts: 6, initialDelayMs: 30, maxDelayMs: 100 }),
      [30, 60, 100, 100, 100],
    );
  });

  test("returns the first attempt that does not conflict, after waiting out the backoff", async () => {
    const clock = instantClock();
    let calls = 0;
    const result = await retryOnConflict(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new ConflictError("moved on");
        return `done on ${attempt}`;
      },
      { clock },
    );
    assert.equal(result, "done on 3");
    assert.equal(calls, 3);
    assert.deepEqual(clock.delays, [10, 20]);
  });

  test("gives up after the policy's attempts with the last conflict, or with `exhausted`'s error", async () => {
    const clock = instantClock();
    let calls = 0;
    await assert.rejects(
      retryOnConflict(
        async () => {
          calls++;
          throw new ConflictError(`conflict ${calls}`);
        },
        { clock },
      ),
      { name: "ConflictError", message: "conflict 5" },
    );
    assert.equal(calls, 5);
    assert.deepEqual(clock.delays, [10, 20, 40, 80]);

    await assert.rejects(
      retryOnConflict(
        async () => {
          throw new ConflictError("again");
        },
        {
          clock,
          policy: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
          exhausted: () => new Error("busy"),
        },
      ),
      { message: "busy" },
    );
  });

  test("never retries a fenced write or an error that is not a conflict", async () => {
    for (const error of [new FencedError("deposed"), new NotFoundError("gone"), new TypeError("bug")]) {
      let calls = 0;
      await assert.rejects(
        retryOnConflict(
          async () => {
            calls++;
            throw error;
          },
          { clock: instantClock() },
        ),
        error,
      );
      assert.equal(calls, 1, error.name);
    }
  });

  test("`isConflict` says what a conflict is (e.g. an HTTP 409)", async () => {
    const clock = instantClock();
    let calls = 0;
    const result = await retryOnConflict(
      async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error("409"), { status: 409 });
        return calls;
      },
      { clock, isConflict: (error) => (error as { status?: number }).status === 409 },
    );
    assert.equal(result, 2);
  });
});
