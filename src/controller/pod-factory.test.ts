import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newPod } from "./pod-factory.js";
import { deployment } from "./testing/test-fixtures.js";

describe("newPod", () => {
  const web = deployment({
    name: "web",
    image: "orchestra/hello:1",
    env: { MODE: "prod" },
    ports: [{ name: "http", containerPort: 8080, protocol: "tcp" }],
    resources: { cpu: 100 },
  });

  test("has a 10-hex id, a readable name, the deployment's template and hash, and Pending status", () => {
    const pod = newPod(web, new Set(), "2024-05-01T10:00:00.000Z");
    assert.match(pod.id, /^[0-9a-f]{10}$/);
    assert.match(pod.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(pod.deployment, "web");
    assert.equal(pod.hash, web.hash);
    assert.deepEqual(pod.template, {
      image: "orchestra/hello:1",
      env: { MODE: "prod" },
      ports: [{ name: "http", containerPort: 8080, protocol: "tcp" }],
      resources: { cpu: 100 },
    });
    assert.deepEqual(pod.status, { phase: "Pending", restarts: 0 });
    assert.equal(pod.node, undefined);
    assert.equal(pod.createdAt, "2024-05-01T10:00:00.000Z");
  });

  test("copies the template instead of sharing the deployment's objects", () => {
    const pod = newPod(web, new Set(), "2024-05-01T10:00:00.000Z");
    assert.notEqual(pod.template.env, web.env);
    assert.notEqual(pod.template.ports, web.ports);
  });

  test("ids are unique and names never repeat within the taken set", () => {
    const taken = new Set<string>();
    const pods = Array.from({ length: 2000 }, () => newPod(web, taken, "2024-05-01T10:00:00.000Z"));
    assert.equal(new Set(pods.map((p) => p.id)).size, 2000);
    assert.equal(new Set(pods.map((p) => p.name)).size, 2000);
    assert.equal(taken.size, 2000);
  });
});
