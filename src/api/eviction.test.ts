import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Deployment, Pod } from "../core/types.js";
import { evictionDecision } from "./eviction.js";

function deployment(replicas: number, maxUnavailable?: number | string): Deployment {
  return {
    name: "web",
    image: "busybox",
    replicas,
    ...(maxUnavailable === undefined ? {} : { strategy: { maxUnavailable } }),
    hash: "h1",
    generation: 1,
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

function pods(ready: number, unready = 0): Pod[] {
  return Array.from({ length: ready + unready }, (_, i) => ({
    id: `p${i}`,
    name: `web-${i}`,
    deployment: "web",
    hash: "h1",
    template: { image: "busybox" },
    node: "n1",
    status: { phase: i < ready ? "Running" : "Pending", ready: i < ready, restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  }));
}

describe("evictionDecision", () => {
  test("allows while replicas - maxUnavailable pods stay available, refuses below", () => {
    const all = pods(4);
    assert.deepEqual(evictionDecision(all[0] as Pod, deployment(4, 1), all), { allowed: true });
    const three = pods(3, 1);
    const refused = evictionDecision(three[0] as Pod, deployment(4, 1), three);
    assert.deepEqual(refused, {
      allowed: false,
      message:
        "cannot evict pod/web-0: deployment web needs 3 available pods (replicas 4, maxUnavailable 1) and has 3",
    });
  });

  test("percentages round up, as for a disruption budget: the default 25% of 2 lets one pod go", () => {
    const two = pods(2);
    assert.deepEqual(evictionDecision(two[0] as Pod, deployment(2), two), { allowed: true });
    const one = pods(1, 1);
    assert.equal(evictionDecision(one[0] as Pod, deployment(2), one).allowed, false);
  });

  test("maxUnavailable 0 refuses every available pod; unready pods and pods of no deployment always go", () => {
    const all = pods(3, 1);
    assert.equal(evictionDecision(all[0] as Pod, deployment(3, 0), all).allowed, false);
    assert.deepEqual(evictionDecision(all[3] as Pod, deployment(3, 0), all), { allowed: true });
    assert.deepEqual(evictionDecision(all[0] as Pod, undefined, all), { allowed: true });
  });
});
