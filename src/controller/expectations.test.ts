import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import { Expectations } from "./expectations.js";
import { deployment, podOf } from "./testing/test-fixtures.js";

const web = deployment({ name: "web" });
const ids = (pods: { id: string }[]) => pods.map((pod) => pod.id).sort();

describe("Expectations", () => {
  test("counts our creates and deletes until the cache shows them", () => {
    const expectations = new Expectations(new ManualClock());
    const a = podOf(web, "a");
    const b = podOf(web, "b");
    const c = podOf(web, "c");
    expectations.expect("web", [c], ["a"]);
    assert.deepEqual(ids(expectations.apply("web", [a, b])), ["b", "c"]);
    // The cache caught up with the create but not the delete.
    assert.deepEqual(ids(expectations.apply("web", [a, b, c])), ["b", "c"]);
    // Caught up with both: the cache alone is the truth again.
    assert.deepEqual(ids(expectations.apply("web", [b, c])), ["b", "c"]);
    assert.deepEqual(ids(expectations.apply("web", [b])), ["b"]);
  });

  test("observed events clear them, and a cancelled write expects nothing", () => {
    const expectations = new Expectations(new ManualClock());
    const c = podOf(web, "c");
    const d = podOf(web, "d");
    expectations.expect("web", [c, d], []);
    expectations.observedCreate(c);
    expectations.observedDelete(c);
    expectations.cancel("web", [d], []);
    assert.deepEqual(expectations.apply("web", []), []);
  });

  test("expire after their time to live, in case an event was lost", () => {
    const clock = new ManualClock();
    const expectations = new Expectations(clock, 1000);
    expectations.expect("web", [podOf(web, "c")], []);
    clock.advance(999);
    assert.equal(expectations.apply("web", []).length, 1);
    clock.advance(1);
    assert.equal(expectations.apply("web", []).length, 0);
  });

  test("deployments are independent", () => {
    const expectations = new Expectations(new ManualClock());
    expectations.expect("web", [podOf(web, "c")], []);
    assert.deepEqual(expectations.apply("api", []), []);
  });
});
