import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeConfig } from "../core/node-config.js";
import type { NodeInfo, Pod } from "../core/types.js";
import { nodeViews } from "./node-view.js";

const n1: NodeInfo = {
  name: "n1",
  address: "10.0.0.1",
  labels: { zone: "a", old: "x" },
  capacity: { cpu: 2000, memory: 4096 },
  schedulable: true,
  registeredAt: "2024-01-01T00:00:00.000Z",
};

function pod(id: string, node: string | undefined, cpu: number, memory: number): Pod {
  return {
    id,
    name: `web-${id}`,
    deployment: "web",
    hash: "h1",
    template: { image: "busybox", resources: { cpu, memory } },
    ...(node ? { node } : {}),
    status: { phase: "Running", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

test("nodes merge user settings, count bound pods and their requests; a configured absent node is not ready", () => {
  const configs = new Map<string, NodeConfig>([
    ["n1", { unschedulable: true, labels: { old: null, gpu: "yes" } }],
    ["n2", { labels: { zone: "b" } }],
  ]);
  const views = nodeViews([n1], configs, [
    pod("1", "n1", 500, 1024),
    pod("2", "n1", 250, 1024),
    pod("3", undefined, 9, 9),
  ]);
  assert.deepEqual(views[0], {
    ...n1,
    labels: { zone: "a", gpu: "yes" },
    schedulable: false,
    unschedulable: true,
    ready: true,
    pods: 2,
    allocated: { cpu: 750, memory: 2048 },
  });
  assert.equal(views[1]?.name, "n2");
  assert.equal(views[1]?.ready, false);
  assert.deepEqual(views[1]?.labels, { zone: "b" });
  assert.deepEqual(nodeViews([n1], new Map(), [])[0], {
    ...n1,
    unschedulable: false,
    ready: true,
    pods: 0,
    allocated: { cpu: 0, memory: 0 },
  });
});

test("a node only pods are bound to (its worker lost) shows, not ready, with its pods", () => {
  const views = nodeViews([n1], new Map(), [pod("1", "n1", 1, 1), pod("2", "gone", 100, 200)]);
  assert.deepEqual(
    views.map((view) => [view.name, view.ready, view.pods]),
    [
      ["gone", false, 1],
      ["n1", true, 1],
    ],
  );
  assert.deepEqual(views[0]?.allocated, { cpu: 100, memory: 200 });
});

test("a node that holds a pod subnet shows, not ready, with its subnet and address, once its worker is gone", () => {
  const subnets = new Map([
    ["n1", { node: "n1", subnet: "10.42.0.0/24", address: "10.0.0.1" }],
    ["gone", { node: "gone", subnet: "10.42.1.0/24", address: "10.0.0.2" }],
  ]);
  const views = nodeViews([{ ...n1, podSubnet: "10.42.0.0/24" }], new Map(), [], subnets);
  assert.deepEqual(
    views.map((view) => [view.name, view.ready, view.podSubnet, view.address]),
    [
      ["gone", false, "10.42.1.0/24", "10.0.0.2"],
      ["n1", true, "10.42.0.0/24", "10.0.0.1"],
    ],
  );
});
