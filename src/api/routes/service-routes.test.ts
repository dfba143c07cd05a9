import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serviceTable } from "../../cli/output/service-table.js";
import { deployment, podOf } from "../../controller/testing/test-fixtures.js";
import type { Deployment, Pod } from "../../core/types.js";
import { publishedServices } from "./service-routes.js";

const web = deployment({
  name: "web",
  ports: [
    { containerPort: 80, protocol: "tcp", publishedPort: 8000 },
    { containerPort: 53, protocol: "udp", publishedPort: 5353 },
    { containerPort: 9000, protocol: "tcp" },
  ],
});
const quiet = deployment({
  name: "quiet",
  ports: [{ containerPort: 80, protocol: "tcp", publishedPort: 7000 }],
});

function running(owner: Deployment, id: string, node: string, ip: string, extra: Partial<Pod> = {}): Pod {
  const pod = podOf(owner, id, { node, phase: "Running" });
  return { ...pod, ...extra, status: { ...pod.status, ip, ready: true, ...extra.status } };
}

describe("publishedServices", () => {
  const b1 = running(web, "b1bbbbb", "b", "10.42.2.2");
  const a1 = running(web, "a1aaaaa", "a", "10.42.1.2");
  const draining = running(web, "a2aaaaa", "a", "10.42.1.3", {
    terminatingSince: "2024-01-01T00:00:00.000Z",
  });
  const unready = running(web, "a3aaaaa", "a", "10.42.1.4", {
    status: { phase: "Running", restarts: 0, ready: false },
  });

  test("every published port, in port order, with the ready pods of every node and where they run", () => {
    const services = publishedServices([web, quiet], [b1, draining, a1, unready]);
    assert.deepEqual(
      services.map((s) => [s.publishedPort, s.protocol, s.deployment, s.containerPort]),
      [
        [5353, "udp", "web", 53],
        [7000, "tcp", "quiet", 80],
        [8000, "tcp", "web", 80],
      ],
    );
    assert.deepEqual(services[2]?.endpoints, [
      { pod: "web-a1aaa", node: "a", ip: "10.42.1.2", port: 80 },
      { pod: "web-b1bbb", node: "b", ip: "10.42.2.2", port: 80 },
    ]);
    assert.deepEqual(services[1]?.endpoints, [], "a deployment without a ready pod has no endpoint");
  });

  test("the table: one row per port, its ready count and endpoints with their nodes", () => {
    const table = serviceTable(publishedServices([web, quiet], [b1, a1]), { wide: false });
    assert.deepEqual(table.headers, ["PUBLISHED", "DEPLOYMENT", "TARGET", "READY", "ENDPOINTS"]);
    assert.deepEqual(table.rows[1], ["7000/tcp", "quiet", "80", "0", "<none>"]);
    assert.deepEqual(table.rows[2], ["8000/tcp", "web", "80", "2", "10.42.1.2:80 on a, 10.42.2.2:80 on b"]);
    const wide = serviceTable(publishedServices([web], [a1]), { wide: true });
    assert.deepEqual(wide.rows[1]?.[4], "10.42.1.2:80 on a (web-a1aaa)");
  });
});
