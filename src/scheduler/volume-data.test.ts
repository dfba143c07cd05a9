// Named volumes in placement, as plain data: a deployment whose volume a node holds goes only to that node; with
// that node cordoned the pod waits with the counted reason; a new volume, tmpfs and host paths tie nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeInfo, Pod, PodTemplate, VolumeReport } from "../core/types.js";
import { schedule } from "./schedule.js";

function node(name: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    address: "10.0.0.1",
    labels: {},
    capacity: { cpu: 4000, memory: 8 * 1024 ** 3 },
    schedulable: true,
    registeredAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

let counter = 0;
function pod(deployment: string, template: Partial<PodTemplate>): Pod {
  const id = `v${(counter++).toString(16).padStart(9, "0")}`;
  return {
    id,
    name: `${deployment}-${id.slice(-5)}`,
    deployment,
    hash: "h1",
    template: { image: "busybox", ...template },
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  } as Pod;
}

function held(
  deployment: string,
  volume: string,
  on: string,
  extra: Partial<VolumeReport> = {},
): VolumeReport {
  return {
    name: `orchestra-${deployment}-${volume}`,
    node: on,
    deployment,
    volume,
    inUse: false,
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

const withData = { volumes: [{ name: "data", mountPath: "/data" }] };
const nodes = [node("a"), node("b"), node("c")];

describe("volume data", () => {
  test("a pod goes only to the node that holds its deployment's named volume", () => {
    for (const holder of ["a", "b", "c"]) {
      const result = schedule({ nodes, pods: [], volumes: [held("db", "data", holder)] }, [
        pod("db", withData),
      ]);
      assert.deepEqual(
        result.bindings.map((binding) => binding.node),
        [holder],
      );
    }
  });

  test("with the holder cordoned, the pod waits with the counted reason", () => {
    const cordoned = [node("a", { schedulable: false }), node("b"), node("c")];
    const result = schedule({ nodes: cordoned, pods: [], volumes: [held("db", "data", "a")] }, [
      pod("db", withData),
    ]);
    assert.deepEqual(
      result.unschedulable.map((u) => u.message),
      ["0/3 nodes available: 2 do not hold volume data, 1 cordoned"],
    );
    const gone = schedule(
      { nodes: [node("b"), node("c"), node("d")], pods: [], volumes: [held("db", "data", "a")] },
      [pod("db", withData)],
    );
    assert.deepEqual(
      gone.unschedulable.map((u) => u.message),
      ["0/3 nodes available: 3 do not hold volume data"],
    );
  });

  test("a volume no node holds yet, one marked for purge, another deployment's, tmpfs and host paths tie nothing", () => {
    const free = [
      pod("db", withData),
      pod("db", { volumes: [{ name: "t", mountPath: "/t", tmpfs: { sizeBytes: 2 ** 20 } }] }),
      pod("db", { volumes: [{ name: "h", mountPath: "/h", hostPath: "/srv" }] }),
    ];
    const volumes = [held("other", "data", "a"), held("db", "t", "a"), held("db", "h", "a")];
    const result = schedule({ nodes, pods: [], volumes }, free);
    assert.equal(result.bindings.length, 3);
    assert.deepEqual(new Set(result.bindings.map((binding) => binding.node)), new Set(["a", "b", "c"]));
    const purged = schedule({ nodes, pods: [], volumes: [held("db", "data", "a", { purge: true })] }, [
      pod("db", withData),
    ]);
    assert.equal(purged.bindings.length, 1);
  });

  test("nodes holding a copy each take the deployment's pods", () => {
    const volumes = [held("db", "data", "a"), held("db", "data", "c")];
    const result = schedule({ nodes, pods: [], volumes }, [pod("db", withData), pod("db", withData)]);
    assert.deepEqual(result.bindings.map((binding) => binding.node).sort(), ["a", "c"]);
  });
});
