import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeInfo, Pod, Resources } from "../core/types.js";
import { describeReasons, NO_READY_NODES, schedule } from "./schedule.js";

const GiB = 1024 ** 3;

function node(name: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    address: `10.0.0.${name.length}`,
    labels: {},
    capacity: { cpu: 4000, memory: 8 * GiB },
    schedulable: true,
    registeredAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

let counter = 0;
function pod(deployment: string, extra: { node?: string; resources?: Resources; id?: string } = {}): Pod {
  const id = extra.id ?? `p${(counter++).toString(16).padStart(9, "0")}`;
  return {
    id,
    name: `${deployment}-${id.slice(-5)}`,
    deployment,
    hash: "h1",
    template: { image: "busybox", ...(extra.resources ? { resources: extra.resources } : {}) },
    ...(extra.node ? { node: extra.node } : {}),
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

function placement(bindings: { node: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { node } of bindings) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

describe("schedule", () => {
  test("a batch of 4 pods of one deployment on 2 nodes spreads 2 and 2", () => {
    const pending = [pod("web"), pod("web"), pod("web"), pod("web")];
    const result = schedule({ nodes: [node("b"), node("a")], pods: pending }, pending);
    assert.deepEqual(result.unschedulable, []);
    assert.deepEqual(placement(result.bindings), { a: 2, b: 2 });
    assert.deepEqual(
      result.bindings.map((b) => b.podId),
      pending.map((p) => p.id),
    );
  });

  test("spread counts the pods already bound, per deployment", () => {
    const bound = [pod("web", { node: "a" }), pod("web", { node: "a" }), pod("api", { node: "b" })];
    const pending = [pod("web"), pod("web")];
    const result = schedule({ nodes: [node("a"), node("b")], pods: [...bound, ...pending] }, pending);
    assert.deepEqual(placement(result.bindings), { b: 2 });
  });

  test("pods of different deployments without requests do not pile onto one node", () => {
    const pending = [pod("one"), pod("two"), pod("three"), pod("four")];
    const result = schedule({ nodes: [node("a"), node("b")], pods: [] }, pending);
    assert.deepEqual(placement(result.bindings), { a: 2, b: 2 });
  });

  test("is deterministic: ties go to the node with the smaller name", () => {
    const pending = [pod("web")];
    const nodes = [node("n3"), node("n1"), node("n2")];
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(schedule({ nodes: [...nodes].reverse(), pods: [] }, pending).bindings, [
        { podId: pending[0]?.id, node: "n1" },
      ]);
    }
  });

  test("prefers the least allocated node when requests are declared", () => {
    const bound = [pod("db", { node: "a", resources: { cpu: 3000, memory: 1 * GiB } })];
    const pending = [pod("web", { resources: { cpu: 500, memory: GiB } })];
    const result = schedule({ nodes: [node("a"), node("b")], pods: bound }, pending);
    assert.deepEqual(result.bindings, [{ podId: pending[0]?.id, node: "b" }]);
  });

  test("requests must fit in capacity minus what bound pods request", () => {
    const nodes = [node("a", { capacity: { cpu: 1000, memory: 2 * GiB } })];
    const bound = [pod("db", { node: "a", resources: { cpu: 600, memory: GiB } })];
    const pending = [
      pod("web", { resources: { cpu: 400, memory: GiB } }), // fits exactly
      pod("web", { resources: { cpu: 1 } }), // cpu now full
      pod("web", { resources: { memory: 1 } }), // memory now full
      pod("web"), // no requests: fits anywhere
    ];
    const result = schedule({ nodes, pods: bound }, pending);
    assert.deepEqual(
      result.bindings.map((b) => b.podId),
      [pending[0]?.id, pending[3]?.id],
    );
    assert.deepEqual(result.unschedulable, [
      { podId: pending[1]?.id, message: "0/1 nodes available: 1 insufficient cpu" },
      { podId: pending[2]?.id, message: "0/1 nodes available: 1 insufficient memory" },
    ]);
  });

  test("a capacity the node does not report is not enforced", () => {
    const nodes = [node("a", { capacity: { cpu: 0, memory: 0 } })];
    const pending = [pod("web", { resources: { cpu: 64_000, memory: 512 * GiB } })];
    assert.equal(schedule({ nodes, pods: [] }, pending).bindings.length, 1);
  });

  test("counts the reasons over all nodes, most frequent first", () => {
    const nodes = [
      node("a", { capacity: { cpu: 4000, memory: GiB } }),
      node("b", { capacity: { cpu: 4000, memory: GiB } }),
      node("c", { schedulable: false }),
    ];
    const pending = [pod("big", { resources: { memory: 2 * GiB } })];
    const result = schedule({ nodes, pods: [] }, pending);
    assert.deepEqual(result.bindings, []);
    assert.deepEqual(result.unschedulable, [
      { podId: pending[0]?.id, message: "0/3 nodes available: 2 insufficient memory, 1 cordoned" },
    ]);
  });

  test("with no nodes every pod gets `no ready nodes`", () => {
    const pending = [pod("web"), pod("web")];
    const result = schedule({ nodes: [], pods: pending }, pending);
    assert.deepEqual(result.bindings, []);
    assert.deepEqual(
      result.unschedulable.map((u) => u.message),
      [NO_READY_NODES, NO_READY_NODES],
    );
    assert.equal(NO_READY_NODES, "no ready nodes");
  });

  test("a cordoned node gets no pods, the others do", () => {
    const pending = [pod("web"), pod("web"), pod("web")];
    const nodes = [node("a", { schedulable: false }), node("b"), node("c")];
    const result = schedule({ nodes, pods: [] }, pending);
    assert.deepEqual(placement(result.bindings), { b: 2, c: 1 });
    const allCordoned = schedule({ nodes: [node("a", { schedulable: false })], pods: [] }, pending);
    assert.deepEqual(
      allCordoned.unschedulable.map((u) => u.message),
      Array(3).fill("0/1 nodes available: 1 cordoned"),
    );
  });

  test("a node whose registration is incomplete is not ready", () => {
    const result = schedule({ nodes: [node("a", { address: "" })], pods: [] }, [pod("web")]);
    assert.equal(result.unschedulable[0]?.message, "0/1 nodes available: 1 not ready");
  });

  test("pods bound to a node that is gone take no capacity; a pending pod is not counted twice", () => {
    const nodes = [node("a", { capacity: { cpu: 1000, memory: GiB } })];
    const ghost = pod("db", { node: "gone", resources: { cpu: 1000 } });
    const pending = pod("web", { node: "a", resources: { cpu: 1000 } });
    const result = schedule({ nodes, pods: [ghost, pending] }, [pending]);
    assert.deepEqual(result.bindings, [{ podId: pending.id, node: "a" }]);
  });

  test("describeReasons sorts equal counts by reason", () => {
    const reasons = new Map([
      ["cordoned", 1],
      ["insufficient cpu", 1],
      ["not ready", 3],
    ]);
    assert.equal(
      describeReasons(5, reasons),
      "0/5 nodes available: 3 not ready, 1 cordoned, 1 insufficient cpu",
    );
  });

  test("resources of a batch accumulate: the third 1-cpu pod on two 1-cpu nodes is unschedulable", () => {
    const nodes = [
      node("a", { capacity: { cpu: 1000, memory: GiB } }),
      node("b", { capacity: { cpu: 1000, memory: GiB } }),
    ];
    const pending = [1, 2, 3].map(() => pod("web", { resources: { cpu: 1000 } }));
    const result = schedule({ nodes, pods: [] }, pending);
    assert.deepEqual(placement(result.bindings), { a: 1, b: 1 });
    assert.deepEqual(result.unschedulable, [
      { podId: pending[2]?.id, message: "0/2 nodes available: 2 insufficient cpu" },
    ]);
  });
});
