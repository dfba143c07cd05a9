import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { WorkQueue } from "./work-queue.js";

/** Lets pending promise callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WorkQueue", () => {
  test("hands keys out in order and de-duplicates queued keys", async () => {
    const queue = new WorkQueue();
    for (const key of ["a", "b", "a", "c", "b"]) queue.add(key);
    assert.equal(queue.length, 3);
    assert.deepEqual(await queue.getBatch(10), ["a", "b", "c"]);
    assert.equal(queue.length, 0);
    assert.equal(queue.inFlight, 3);
  });

  test("a key in flight is not handed to a second worker; added meanwhile, it comes back after done", async () => {
    const queue = new WorkQueue();
    queue.add("web");
    assert.equal(await queue.get(), "web");
    queue.add("web");
    queue.add("web");
    assert.equal(queue.length, 0, "not queued while in flight");
    let second: string | undefined;
    void queue.get().then((key) => {
      second = key;
    });
    await flush();
    assert.equal(second, undefined, "a second worker must wait");
    queue.done("web");
    await flush();
    assert.equal(second, "web", "re-queued once, after done");
    queue.done("web");
    assert.equal(queue.length, 0);
  });

  test("a waiting get wakes up when a key is added", async () => {
    const queue = new WorkQueue();
    const got = queue.get();
    queue.add("x");
    assert.equal(await got, "x");
  });

  test("two waiting workers each get a different key", async () => {
    const queue = new WorkQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add("a");
    queue.add("b");
    assert.deepEqual([await first, await second].sort(), ["a", "b"]);
  });

  test("getBatch takes at most max keys and leaves the rest for others", async () => {
    const queue = new WorkQueue<number>();
    for (let i = 0; i < 5; i++) queue.add(i);
    assert.deepEqual(await queue.getBatch(2), [0, 1]);
    assert.deepEqual(await queue.getBatch(100), [2, 3, 4]);
  });

  test("addAfter adds on the clock; the earliest of two delays wins", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter("k", 100);
    queue.addAfter("k", 30);
    queue.addAfter("k", 500);
    clock.advance(29);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.equal(queue.length, 1);
    assert.equal(await queue.get(), "k");
    queue.done("k");
    clock.advance(1000);
    assert.equal(queue.length, 0, "the later delays were replaced, not kept");
  });

  test("addRateLimited backs off per key exponentially until forget", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    const dueAfter = async (key: string): Promise<number> => {
      queue.addRateLimited(key);
      let waited = 0;
      while (queue.length === 0) {
        clock.advance(1);
        waited++;
      }
      const got = await queue.get();
      assert.equal(got, key);
      queue.done(key);
      return waited;
    };
    assert.deepEqual([await dueAfter("a"), await dueAfter("a"), await dueAfter("a")], [5, 10, 20]);
    assert.equal(queue.requeues("a"), 3);
    assert.equal(await dueAfter("b"), 5, "another key has its own backoff");
    queue.forget("a");
    assert.equal(await dueAfter("a"), 5);
  });

  test("shutDown wakes waiting workers with undefined and ignores later adds", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue({ clock });
    const waiting = queue.get();
    queue.addAfter("later", 10);
    queue.shutDown();
    assert.equal(await waiting, undefined);
    queue.add("x");
    clock.advance(100);
    assert.equal(queue.length, 0);
    assert.equal(await queue.get(), undefined);
    assert.deepEqual(await queue.getBatch(5), []);
  });

  test("compacts its storage without losing or reordering keys", async () => {
    const queue = new WorkQueue<number>();
    let next = 0;
    const seen: number[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) queue.add(next++);
      for (const key of await queue.getBatch(70)) {
        seen.push(key);
        queue.done(key);
      }
    }
    while (queue.length > 0) for (const key of await queue.getBatch(1000)) seen.push(key);
    assert.deepEqual(
      seen,
      Array.from({ length: 5000 }, (_, i) => i),
    );
  });
});
