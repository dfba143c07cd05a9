import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClusterRecords, servedPod } from "./cluster-records.js";
import { runningPod } from "./testing/test-support.js";

describe("servedPod", () => {
  test("a running pod with an IPv4 address is served, with its named ports only", () => {
    const pod = runningPod("p1", "web-a", "web", "10.0.0.2", {
      template: {
        image: "x",
        ports: [
          { name: "http", containerPort: 8080, protocol: "tcp" },
          { containerPort: 9000, protocol: "tcp" },
          { name: "dns", containerPort: 53, protocol: "udp" },
        ],
      },
    });
    assert.deepEqual(servedPod(pod), {
      name: "web-a",
      deployment: "web",
      ip: "10.0.0.2",
      ports: [
        { name: "http", protocol: "tcp", port: 8080 },
        { name: "dns", protocol: "udp", port: 53 },
      ],
    });
  });

  test("pods that are not ready are not served", () => {
    const pod = runningPod("p1", "web-a", "web", "10.0.0.2");
    assert.equal(
      servedPod({ ...pod, status: { ...pod.status, ready: false, health: "unhealthy" } }),
      undefined,
    );
    assert.equal(servedPod({ ...pod, status: { ...pod.status, ready: true } })?.ip, "10.0.0.2");
  });

  test("pods not running, or without an address, are not served", () => {
    assert.equal(servedPod(runningPod("p1", "web-a", "web", undefined)), undefined);
    for (const phase of ["Pending", "Starting", "Failed", "Succeeded", "Unknown"] as const) {
      const pod = runningPod("p1", "web-a", "web", "10.0.0.2");
      assert.equal(servedPod({ ...pod, status: { ...pod.status, phase } }), undefined, phase);
    }
  });
});

describe("ClusterRecords", () => {
  test("indexes pods by deployment, sorted by name, with their services", () => {
    const records = new ClusterRecords();
    assert.equal(records.setPod("p2", runningPod("p2", "web-b", "web", "10.0.0.3")), true);
    assert.equal(records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2")), true);
    assert.equal(records.setPod("p3", runningPod("p3", "api-a", "api", "10.0.0.4")), true);
    const web = records.deployment("web");
    assert.deepEqual(
      web?.pods.map((pod) => pod.name),
      ["web-a", "web-b"],
    );
    assert.equal(web?.byName.get("web-b")?.ip, "10.0.0.3");
    assert.deepEqual(
      web?.services.get("_http._tcp")?.map((target) => `${target.pod.name}:${target.port}`),
      ["web-a:8080", "web-b:8080"],
    );
    assert.ok(web?.protocols.has("_tcp"));
    assert.deepEqual(records.deploymentNames(), ["api", "web"]);
  });

  test("reports only changes that DNS can see", () => {
    const records = new ClusterRecords();
    const pod = runningPod("p1", "web-a", "web", "10.0.0.2");
    assert.equal(records.setPod("p1", pod), true);
    assert.equal(records.setPod("p1", { ...pod, status: { ...pod.status, restarts: 3 } }), false);
    assert.equal(records.setPod("p1", { ...pod, status: { ...pod.status, ip: "10.0.0.9" } }), true);
    assert.equal(records.deployment("web")?.pods[0]?.ip, "10.0.0.9");
    assert.equal(records.setPod("p1", { ...pod, status: { phase: "Failed", restarts: 1 } }), true);
    assert.equal(records.deployment("web"), undefined);
    assert.equal(records.setPod("p1", undefined), false);
  });

  test("a declared deployment exists without pods; a deleted pod leaves it", () => {
    const records = new ClusterRecords();
    assert.equal(records.setDeployment("web", true), true);
    assert.deepEqual(records.deployment("web")?.pods, []);
    records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
    assert.equal(records.setDeployment("web", false), false, "still exists through its running pod");
    assert.equal(records.deployment("web")?.pods.length, 1);
    assert.equal(records.setPod("p1", undefined), true);
    assert.equal(records.deployment("web"), undefined);
    assert.deepEqual(records.deploymentNames(), []);
  });

  test("an address two pods report is served once", () => {
    const records = new ClusterRecords();
    records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
    records.setPod("p2", runningPod("p2", "web-b", "web", "10.0.0.2"));
    records.setPod("p3", runningPod("p3", "web-c", "web", "10.0.0.1"));
    assert.deepEqual(records.deployment("web")?.addresses, ["10.0.0.2", "10.0.0.1"]);
  });

  test("a pod moving to another deployment leaves the first", () => {
    const records = new ClusterRecords();
    records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
    records.setPod("p1", runningPod("p1", "api-a", "api", "10.0.0.2"));
    assert.equal(records.deployment("web"), undefined);
    assert.equal(records.deployment("api")?.pods.length, 1);
  });
});
