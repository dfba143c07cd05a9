// Placement decisions as plain data: constraints on node labels, avoidNodes, spread versus binpack, and the
// counted reasons of an unschedulable pod.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { effectiveNode } from "../core/node-config.js";
import type { Constraint, NodeInfo, Placement, Pod, Resources } from "../core/types.js";
import { satisfies } from "./filters/constraints-match.js";
import { schedule } from "./schedule.js";

const GiB = 1024 ** 3;

function node(name: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    address: "10.0.0.1",
    labels: {},
    capacity: { cpu: 4000, memory: 8 * GiB },
    schedulable: true,
    registeredAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

let counter = 0;
function pod(
  deployment: string,
  extra: { node?: string; resources?: Resources; placement?: Placement; avoidNodes?: string[] } = {},
): Pod {
  const id = `q${(counter++).toString(16).padStart(9, "0")}`;
  return {
    id,
    name: `${deployment}-${id.slice(-5)}`,
    deployment,
    hash: "h1",
    template: {
      image: "busybox",
      ...(extra.resources ? { resources: extra.resources } : {}),
      ...(extra.placement ? { placement: extra.placement } : {}),
    },
    ...(extra.node ? { node: extra.node } : {}),
    ...(extra.avoidNodes ? { avoidNodes: extra.avoidNodes } : {}),
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

function placed(result: ReturnType<typeof schedule>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { node } of result.bindings) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

describe("constraints", () => {
  const labels = { zone: "east", disk: "ssd" };
  const cases: [Constraint, boolean][] = [
    [{ label: "zone", operator: "==", value: "east" }, true],
    [{ label: "zone", operator: "==", value: "west" }, false],
    [{ label: "zone", operator: "!=", value: "west" }, true],
    [{ label: "gpu", operator: "!=", value: "yes" }, true],
    [{ label: "zone", operator: "in", values: ["west", "east"] }, true],
    [{ label: "gpu", operator: "in", values: ["yes"] }, false],
    [{ label: "zone", operator: "notin", values: ["east"] }, false],
    [{ label: "gpu", operator: "notin", values: ["yes"] }, true],
    [{ label: "disk", operator: "exists" }, true],
    [{ label: "gpu", operator: "exists" }, false],
    [{ label: "gpu", operator: "notexists" }, true],
    [{ label: "toString", operator: "exists" }, false],
  ];
  for (const [constraint, expected] of cases) {
    test(`${constraint.label} ${constraint.operator} ${constraint.value ?? constraint.values ?? ""} → ${expected}`, () => {
      assert.equal(satisfies(labels, constraint), expected);
    });
  }

  test("pods go only to nodes whose labels match; the others are counted", () => {
    const nodes = [
      node("a", { labels: { zone: "east" } }),
      node("b", { labels: { zone: "west" } }),
      node("c"),
    ];
    const constraints: Constraint[] = [{ label: "zone", operator: "==", value: "east" }];
    const pending = [pod("web", { placement: { constraints } }), pod("web", { placement: { constraints } })];
    assert.deepEqual(placed(schedule({ nodes, pods: [] }, pending)), { a: 2 });

    const nowhere = [pod("db", { placement: { constraints: [{ label: "gpu", operator: "exists" }] } })];
    const result = schedule({ nodes: [...nodes, node("d", { schedulable: false })], pods: [] }, nowhere);
    assert.deepEqual(
      result.unschedulable.map((u) => u.message),
      ["0/4 nodes available: 3 didn't match constraints, 1 cordoned"],
    );
  });

  test("labels set through the API count, and can remove a worker's label", () => {
    const registered = node("a", { labels: { zone: "east", tier: "old" } });
    const configured = effectiveNode(registered, {
      unschedulable: false,
      labels: { tier: null, gpu: "yes" },
    });
    assert.deepEqual(configured.labels, { zone: "east", gpu: "yes" });
    const wantsGpu = pod("ml", { placement: { constraints: [{ label: "gpu", operator: "exists" }] } });
    assert.deepEqual(placed(schedule({ nodes: [configured, node("b")], pods: [] }, [wantsGpu])), { a: 1 });
    const cordoned = effectiveNode(registered, { unschedulable: true });
    assert.equal(
      schedule({ nodes: [cordoned], pods: [] }, [pod("web")]).unschedulable[0]?.message,
      "0/1 nodes available: 1 cordoned",
    );
  });
});

describe("avoidNodes", () => {
  test("a pod that failed on a node goes elsewhere", () => {
    const pending = [pod("web", { avoidNodes: ["a"] })];
    assert.deepEqual(placed(schedule({ nodes: [node("a"), node("b")], pods: [] }, pending)), { b: 1 });
  });

  test("when only avoidNodes excludes every node, it is ignored and the pod still runs", () => {
    const pending = [pod("web", { avoidNodes: ["a", "b"], resources: { memory: GiB } })];
    const nodes = [node("a"), node("b", { capacity: { cpu: 4000, memory: 16 * GiB } })];
    const result = schedule({ nodes, pods: [] }, pending);
    assert.deepEqual(result.unschedulable, []);
    assert.deepEqual(placed(result), { b: 1 }, "the best of the avoided nodes, by the usual scores");
  });

  test("avoidNodes is not relaxed onto a node that other filters reject", () => {
    const pending = [pod("web", { avoidNodes: ["a"] })];
    const result = schedule({ nodes: [node("a"), node("b", { schedulable: false })], pods: [] }, pending);
    assert.deepEqual(placed(result), { a: 1 });
    const none = schedule({ nodes: [node("b", { schedulable: false })], pods: [] }, pending);
    assert.deepEqual(none.unschedulable[0]?.message, "0/1 nodes available: 1 cordoned");
  });
});

describe("strategy", () => {
  const nodes = [node("a"), node("b"), node("c")];

  test("spread (the default) puts replicas on different nodes", () => {
    const pending = [1, 2, 3].map(() => pod("web", { resources: { cpu: 500 } }));
    assert.deepEqual(placed(schedule({ nodes, pods: [] }, pending)), { a: 1, b: 1, c: 1 });
  });

  test("spread prefers the least allocated node for a new deployment", () => {
    const busy = [pod("db", { node: "a", resources: { memory: 4 * GiB } })];
    const pending = [pod("web", { resources: { memory: GiB } })];
    const result = schedule({ nodes: [node("a"), node("b")], pods: busy }, pending);
    assert.deepEqual(placed(result), { b: 1 });
  });

  test("binpack fills the most allocated node first, until it is full", () => {
    const busy = [pod("db", { node: "b", resources: { cpu: 1000 } })];
    const binpack: Placement = { strategy: "binpack" };
    const pending = [1, 2, 3, 4].map(() => pod("web", { resources: { cpu: 1000 }, placement: binpack }));
    const result = schedule({ nodes, pods: busy }, pending);
    assert.deepEqual(placed(result), { b: 3, a: 1 }, "b holds 4 cpus in all, then a takes the rest");
  });

  test("binpack without requests packs by pod count", () => {
    const pending = [1, 2, 3].map(() => pod("web", { placement: { strategy: "binpack" } }));
    assert.deepEqual(placed(schedule({ nodes, pods: [] }, pending)), { a: 3 });
  });
});
