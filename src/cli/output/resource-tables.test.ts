import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { Pod } from "../../core/types.js";
import type { DeploymentView, NodeView } from "../api-client.js";
import { deploymentTable, nodeTable, podTable } from "./resource-tables.js";
import { formatStructured } from "./structured.js";
import { formatTable } from "./table.js";

const now = Date.parse("2025-06-01T12:00:00Z");
const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000).toISOString();

const web: DeploymentView = {
  name: "web",
  image: "nginx:alpine",
  replicas: 3,
  hash: "5d8f7c9b",
  generation: 2,
  createdAt: minutesAgo(3),
  updatedAt: minutesAgo(1),
  status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
};

function pod(name: string, overrides: Partial<Pod> = {}): Pod {
  return {
    id: `id-${name}`,
    name,
    deployment: "web",
    hash: "5d8f7c9b",
    template: { image: "nginx:alpine" },
    status: { phase: "Running", restarts: 0 },
    createdAt: minutesAgo(2),
    updatedAt: minutesAgo(2),
    ...overrides,
  };
}

const node: NodeView = {
  name: "node-1",
  address: "10.0.0.5",
  labels: { zone: "a", disk: "ssd" },
  capacity: { cpu: 2000, memory: 8 * 2 ** 30 },
  schedulable: true,
  registeredAt: minutesAgo(120),
};

describe("deployment table", () => {
  test("READY is ready pods over desired replicas; wide adds IMAGE, HASH, the rollout and the published ports", () => {
    assert.equal(
      formatTable(deploymentTable([web], { wide: false, now })),
      "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     3            2           3m\n",
    );
    const wide = deploymentTable([web], { wide: true, now });
    assert.deepEqual(wide.headers, [
      "NAME",
      "READY",
      "UP-TO-DATE",
      "AVAILABLE",
      "AGE",
      "IMAGE",
      "HASH",
      "ROLLOUT",
      "PUBLISHED",
    ]);
    assert.deepEqual(wide.rows[0], [
      "web",
      "2/3",
      "3",
      "2",
      "3m",
      "nginx:alpine",
      "5d8f7c9b",
      "<none>",
      "<none>",
    ]);
    const published: DeploymentView = {
      ...web,
      ports: [
        { containerPort: 8080, protocol: "tcp", publishedPort: 8000 },
        { containerPort: 9090, protocol: "tcp" },
        { containerPort: 53, protocol: "udp", publishedPort: 5353 },
      ],
    };
    assert.equal(
      deploymentTable([published], { wide: true, now }).rows[0]?.[8],
      "8000->8080/tcp,5353->53/udp",
    );
    const rolledBack: DeploymentView = {
      ...web,
      status: {
        replicas: 3,
        readyReplicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
        rollout: { revision: 4, state: "rolled-back", message: "revision 3 failed: pod web-x unhealthy" },
      },
    };
    assert.equal(
      deploymentTable([rolledBack], { wide: true, now }).rows[0]?.[7],
      "rolled-back: revision 3 failed: pod web-x unhealthy",
    );
  });

  test("a deployment served without status counts as nothing ready", () => {
    const { status: _ignored, ...bare } = web;
    assert.deepEqual(deploymentTable([bare], { wide: false, now }).rows[0], ["web", "0/3", "0", "0", "3m"]);
  });
});

describe("pod table", () => {
  const running = pod("web-abc12", {
    node: "node-1",
    status: { phase: "Running", ip: "172.30.0.2", restarts: 1 },
  });
  const pending = pod("web-def34", { status: { phase: "Pending", restarts: 0, message: "no ready\nnodes" } });

  test("plain: NAME DEPLOYMENT STATUS RESTARTS AGE", () => {
    const table = podTable([running, pending], { wide: false, now });
    assert.deepEqual(table.headers, ["NAME", "DEPLOYMENT", "STATUS", "RESTARTS", "AGE"]);
    assert.deepEqual(table.rows, [
      ["web-abc12", "web", "Running", "1", "2m"],
      ["web-def34", "web", "Pending", "0", "2m"],
    ]);
  });

  test("wide: node and IP (or <none>) and the reason a pod waits, on one line", () => {
    const table = podTable([running, pending], { wide: true, now });
    assert.deepEqual(table.headers, [
      "NAME",
      "DEPLOYMENT",
      "STATUS",
      "NODE",
      "IP",
      "RESTARTS",
      "AGE",
      "MESSAGE",
    ]);
    assert.deepEqual(table.rows, [
      ["web-abc12", "web", "Running", "node-1", "172.30.0.2", "1", "2m", "<none>"],
      ["web-def34", "web", "Pending", "<none>", "<none>", "0", "2m", "no ready nodes"],
    ]);
  });
});

describe("node table", () => {
  test("PODS comes from the server's count when given, else from the counts passed in", () => {
    const counted = nodeTable([{ ...node, pods: 7 }], new Map([["node-1", 2]]), { wide: false, now });
    assert.deepEqual(counted.rows[0], ["node-1", "Ready", "7", "0/2", "0/8Gi", "2h"]);
    const uncounted = nodeTable([node], new Map([["node-1", 2]]), { wide: false, now });
    assert.deepEqual(uncounted.rows[0], ["node-1", "Ready", "2", "0/2", "0/8Gi", "2h"]);
  });

  test("CPU and MEMORY show what the bound pods request over the capacity", () => {
    const allocated = { cpu: 500, memory: 256 * 1024 ** 2 };
    const table = nodeTable([{ ...node, pods: 2, allocated }], new Map(), { wide: false, now });
    assert.deepEqual(table.headers, ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"]);
    assert.deepEqual(table.rows[0], ["node-1", "Ready", "2", "500m/2", "256Mi/8Gi", "2h"]);
  });

  test("wide adds address, pod subnet and sorted labels; cordoned and gone nodes say so", () => {
    const table = nodeTable(
      [{ ...node, schedulable: false, unschedulable: true, podSubnet: "10.42.3.0/24" }],
      new Map(),
      { wide: true, now },
    );
    assert.deepEqual(table.headers, [
      "NAME",
      "STATUS",
      "PODS",
      "CPU",
      "MEMORY",
      "AGE",
      "ADDRESS",
      "POD-SUBNET",
      "LABELS",
    ]);
    assert.deepEqual(table.rows[0], [
      "node-1",
      "Ready,SchedulingDisabled",
      "0",
      "0/2",
      "0/8Gi",
      "2h",
      "10.0.0.5",
      "10.42.3.0/24",
      "disk=ssd,zone=a",
    ]);
    const gone = nodeTable([{ ...node, ready: false, address: "", registeredAt: "" }], new Map(), {
      wide: true,
      now,
    });
    assert.deepEqual(gone.rows[0]?.slice(0, 2), ["node-1", "NotReady"]);
  });
});

describe("structured output", () => {
  test("json and yaml round-trip to the same objects", () => {
    for (const format of ["json", "yaml"] as const) {
      const text = formatStructured([web], format);
      assert.ok(text.endsWith("\n"));
      const back: unknown = format === "json" ? JSON.parse(text) : parse(text);
      assert.deepEqual(back, [web]);
    }
  });

  test("an empty list prints as an empty list", () => {
    assert.equal(formatStructured([], "json"), "[]\n");
    assert.deepEqual(parse(formatStructured([], "yaml")), []);
  });
});
