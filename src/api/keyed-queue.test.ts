import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyedQueue } from "./keyed-queue.js";

test("tasks of one key run one at a time in order; other keys are not held up; failures do not stop the queue", async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  let running = 0;
  const task =
    (name: string, fail = false) =>
    async () => {
      running++;
      assert.equal(running, 1, "two tasks of one key ran at once");
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
  const a = queue.run("k", task("a"));
  const b = queue.run("k", task("b", true));
  const c = queue.run("k", task("c"));
  const other = queue.run("other", async () => "other");
  assert.equal(await other, "other");
  assert.equal(await a, "a");
  await assert.rejects(b, /b/);
  assert.equal(await c, "c");
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(queue.size, 0);
});
