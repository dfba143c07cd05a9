import assert from "node:assert/strict";
import { test } from "node:test";
import { nestsDeeperThan } from "./body-depth.js";

test("depth counts objects and arrays inside one another, not brackets in strings", () => {
  assert.equal(nestsDeeperThan('{"a":[{"b":1}]}', 3), false);
  assert.equal(nestsDeeperThan('{"a":[{"b":1}]}', 2), true);
  assert.equal(nestsDeeperThan('{"a":"[[[[[[","b":"\\"[[[["}', 1), false);
  assert.equal(nestsDeeperThan("[[],[],[],[]]", 2), false);
  assert.equal(nestsDeeperThan("1", 0), false);
});

test("500 KB of brackets is measured at once, without recursion", () => {
  const started = performance.now();
  assert.equal(nestsDeeperThan("[".repeat(500_000), 32), true);
  assert.equal(nestsDeeperThan(`"${"[".repeat(500_000)}"`, 32), false);
  assert.ok(performance.now() - started < 200);
});
