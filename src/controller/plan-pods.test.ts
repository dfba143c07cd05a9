import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planPods, rankForDeletion } from "./plan-pods.js";
import { deployment, podOf } from "./testing/test-fixtures.js";

const web = deployment({ name: "web", replicas: 3 });
const ids = (pods: { id: string }[]) => pods.map((pod) => pod.id);

describe("planPods", () => {
  test("creates the missing replicas", () => {
    assert.deepEqual(planPods(web, []), { create: 3, delete: [] });
    assert.deepEqual(planPods(web, [podOf(web, "a")]), { create: 2, delete: [] });
  });

  test("with exactly replicas pods of the current revision there is nothing to do", () => {
    const pods = ["a", "b", "c"].map((id) => podOf(web, id, { node: "n1", phase: "Running" }));
    assert.deepEqual(planPods(web, pods), { create: 0, delete: [] });
  });

  test("scaling down deletes unscheduled pods first, then not running, then the newest", () => {
    const pods = [
      podOf(web, "old-running", { node: "n1", phase: "Running", createdAt: "2024-01-01T00:00:00.000Z" }),
      podOf(web, "new-running", { node: "n1", phase: "Running", createdAt: "2024-01-03T00:00:00.000Z" }),
      podOf(web, "starting", { node: "n2", phase: "Starting", createdAt: "2024-01-01T00:00:00.000Z" }),
      podOf(web, "unscheduled", { createdAt: "2024-01-01T00:00:00.000Z" }),
      podOf(web, "mid-running", { node: "n2", phase: "Running", createdAt: "2024-01-02T00:00:00.000Z" }),
    ];
    assert.deepEqual(ids(planPods({ ...web, replicas: 1 }, pods).delete), [
      "unscheduled",
      "starting",
      "new-running",
      "mid-running",
    ]);
    assert.equal(planPods({ ...web, replicas: 1 }, pods).create, 0);
    assert.deepEqual(ids(planPods({ ...web, replicas: 0 }, pods).delete).length, 5);
  });

  test("a changed template replaces every pod of the old revision", () => {
    const v2 = deployment({ name: "web", image: "orchestra/hello:2", replicas: 2 });
    assert.notEqual(v2.hash, web.hash);
    const pods = [
      podOf(web, "a", { node: "n1", phase: "Running" }),
      podOf(web, "b", { node: "n1", phase: "Running" }),
    ];
    assert.deepEqual(planPods(v2, pods), { create: 2, delete: pods });
    const mixed = [...pods, podOf(v2, "c")];
    const plan = planPods(v2, mixed);
    assert.equal(plan.create, 1);
    assert.deepEqual(ids(plan.delete), ["a", "b"]);
  });

  test("a deleted deployment loses all its pods", () => {
    const pods = [podOf(web, "a"), podOf(web, "b", { hash: "0000000000" })];
    assert.deepEqual(planPods(undefined, pods), { create: 0, delete: pods });
    assert.deepEqual(planPods(undefined, []), { create: 0, delete: [] });
  });

  test("the deletion order is stable for equal pods", () => {
    const pods = ["c", "a", "b"].map((id) => podOf(web, id, { node: "n", phase: "Running" }));
    assert.deepEqual(ids(rankForDeletion(pods)), ["c", "b", "a"]);
    assert.deepEqual(ids(rankForDeletion([...pods].reverse())), ["c", "b", "a"]);
  });
});
