import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { ConflictError, FencedError, ValidationError } from "../core/errors.js";
import { Reconciler } from "./reconciler.js";

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("Reconciler", () => {
  test("reconciles every enqueued key once and never one key on two workers at once", async () => {
    const running = new Set<string>();
    const calls: string[] = [];
    let overlap = false;
    const reconciler = new Reconciler<string>({
      workers: 4,
      reconcile: async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        calls.push(key);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running.delete(key);
      },
    });
    reconciler.start();
    for (let i = 0; i < 20; i++) reconciler.enqueue(`k${i % 5}`);
    await reconciler.whenIdle();
    for (let i = 0; i < 5; i++) reconciler.enqueue(`k${i}`);
    await reconciler.whenIdle();
    await reconciler.stop();
    assert.equal(overlap, false);
    for (let i = 0; i < 5; i++) assert.ok(calls.filter((key) => key === `k${i}`).length >= 2);
  });

  test("a failing key is retried with backoff until it succeeds", async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const reconciler = new Reconciler<string>({
      clock,
      reconcile: async () => {
        attempts++;
        if (attempts < 3) throw new ConflictError("version moved on");
      },
    });
    reconciler.start();
    reconciler.enqueue("web");
    await flush();
    assert.equal(attempts, 1);
    clock.advance(4);
    await flush();
    assert.equal(attempts, 1, "not before the 5 ms backoff");
    clock.advance(1);
    await flush();
    assert.equal(attempts, 2);
    clock.advance(10);
    await flush();
    assert.equal(attempts, 3);
    clock.advance(60_000);
    await flush();
    assert.equal(attempts, 3, "no retry after success");
    assert.equal(reconciler.queue.requeues("web"), 0, "success forgets the backoff");
    await reconciler.stop();
  });

  test("a ValidationError is dropped, not retried", async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const reconciler = new Reconciler<string>({
      clock,
      reconcile: async () => {
        attempts++;
        throw new ValidationError("replicas", "must be >= 0");
      },
    });
    reconciler.start();
    reconciler.enqueue("bad");
    await flush();
    clock.advance(120_000);
    await flush();
    assert.equal(attempts, 1);
    await reconciler.stop();
  });

  test("a FencedError is dropped and reported to the owner", async () => {
    const clock = new ManualClock();
    const fenced: FencedError[] = [];
    let attempts = 0;
    const reconciler = new Reconciler<string>({
      clock,
      onFenced: (err) => fenced.push(err),
      reconcile: async () => {
        attempts++;
        throw new FencedError("lease lost");
      },
    });
    reconciler.start();
    reconciler.enqueue("web");
    await flush();
    clock.advance(120_000);
    await flush();
    assert.equal(attempts, 1);
    assert.equal(fenced.length, 1);
    await reconciler.stop();
  });

  test("stop waits for the reconcile in flight and takes no more keys", async () => {
    let finish!: () => void;
    const started: string[] = [];
    let finished = 0;
    const reconciler = new Reconciler<string>({
      reconcile: async (key) => {
        started.push(key);
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        finished++;
      },
    });
    reconciler.start();
    reconciler.enqueue("a");
    reconciler.enqueue("b");
    await flush();
    let stopped = false;
    const stopping = reconciler.stop().then(() => {
      stopped = true;
    });
    await flush();
    assert.equal(stopped, false, "stop waits for the write in flight");
    finish();
    await stopping;
    assert.equal(finished, 1);
    assert.deepEqual(started, ["a"]);
  });
});
