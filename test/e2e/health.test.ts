// Health checks on the real Docker engine (`orchestra up`): an HTTP check against a path the server does not
// have keeps its pod unready and restarts it again and again; exec and TCP checks that pass make pods ready.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DeploymentWithStatus } from "../../src/api/deployment-status.js";
import type { ClusterEvent, DeploymentSpec, Pod } from "../../src/core/types.js";
import { ClusterRun, eventually } from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../support/images.js";

const STEP_TIMEOUT_MS = 60_000;
const timing = { intervalSeconds: 1, timeoutSeconds: 1, retries: 2, startPeriodSeconds: 0 };

/** orchestra/hello serves /healthz but not /missing. */
const deployments: DeploymentSpec[] = [
  {
    name: "sick",
    image: DEMO_IMAGE,
    replicas: 1,
    healthCheck: { http: { path: "/missing", port: DEMO_PORT }, ...timing },
    // A high limit keeps the pod restarting here rather than being moved (this cluster has one node).
    restartPolicy: { backoffInitialSeconds: 1, backoffMaxSeconds: 2, resetAfterSeconds: 600, limit: 50 },
    strategy: { autoRollback: false },
  },
  {
    name: "fine-http",
    image: DEMO_IMAGE,
    replicas: 1,
    healthCheck: { http: { path: "/healthz", port: DEMO_PORT }, ...timing },
  },
  {
    name: "fine-exec",
    image: DEMO_IMAGE,
    replicas: 1,
    healthCheck: { exec: ["cat", "/www/healthz"], ...timing },
  },
  {
    name: "fine-tcp",
    image: DEMO_IMAGE,
    replicas: 1,
    healthCheck: { tcp: { port: DEMO_PORT }, ...timing },
  },
];

let run: ClusterRun;

const podsOf = (name: string) => run.api<Pod[]>(`/pods?deployment=${name}`);
const deploymentOf = (name: string) => run.api<DeploymentWithStatus>(`/deployments/${name}`);

describe("health checks on the local Docker engine", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("health");
    await run.up(["--stop-grace", "1"]);
    const applied = await run.cliOk(["apply", "-f", "-"], { input: JSON.stringify(deployments) });
    assert.match(applied, /deployment\/sick created/);
  });

  after(async () => {
    await run?.cleanup();
  });

  test("passing http, exec and tcp checks make their pods healthy and ready", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    for (const name of ["fine-http", "fine-exec", "fine-tcp"]) {
      await eventually(async () => {
        const deployment = await deploymentOf(name);
        assert.equal(deployment.status.readyReplicas, 1, `${name}: readyReplicas`);
      });
      const [pod] = await podsOf(name);
      assert.equal(pod?.status.health, "healthy", `${name}: health`);
      assert.equal(pod?.status.ready, true);
      assert.equal(pod?.status.restarts, 0, `${name} was never restarted`);
    }
  });

  test("a failing http check: never ready, reported unhealthy, restarted again and again", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const healthSeen = new Set<string>();
    const containersSeen = new Set<string>();
    let readyReplicasSeen = 0;
    const pod = await eventually(
      async () => {
        const [deployment, pods] = await Promise.all([deploymentOf("sick"), podsOf("sick")]);
        readyReplicasSeen = Math.max(readyReplicasSeen, deployment.status.readyReplicas);
        const [current] = pods;
        assert.ok(current, "the pod exists");
        assert.notEqual(current.status.ready, true, "the sick pod is never ready");
        healthSeen.add(String(current.status.health));
        if (current.status.containerId) containersSeen.add(current.status.containerId);
        assert.ok(current.status.restarts >= 3, `restarts: ${current.status.restarts}`);
        assert.ok(healthSeen.has("unhealthy"), `health seen: ${[...healthSeen].join(", ")}`);
        return current;
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    assert.equal(readyReplicasSeen, 0, "readyReplicas stayed 0");
    assert.ok(containersSeen.size >= 2, `containers seen: ${containersSeen.size}`);
    assert.equal(pod.node, run.nodeName, "with a high limit the pod stays on its node");

    // `get pods` shows the restarts; the containers Docker has are the pod's current one at most.
    const line = (await run.cliOk(["get", "pods"])).split("\n").find((l) => l.startsWith(pod.name));
    assert.ok(line, "get pods lists the pod");
    const restartsShown = Number(line.trim().split(/ {3,}/)[3]);
    assert.ok(restartsShown >= 3, `get pods: ${line}`);
    // Between restarts, `get pods` shows the backoff in the STATUS column, as kubectl does.
    await eventually(
      async () => {
        const rows = (await run.cliOk(["get", "pods"])).split("\n").map((l) => l.trim().split(/ {3,}/));
        const row = rows.find((cells) => cells[0] === pod.name);
        assert.equal(row?.[2], "CrashLoopBackOff", `get pods: ${row?.join(" | ")}`);
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );

    // The worker recorded why: the check's answer, and the restarts.
    const events = await run.api<ClusterEvent[]>("/events?name=sick");
    const unhealthy = events.find((e) => e.reason === "Unhealthy" && e.object === `pod/${pod.name}`);
    assert.match(unhealthy?.message ?? "", /health check failed 2 times in a row: GET http:.*\/missing: 404/);
    assert.equal(unhealthy?.source, `worker/${run.nodeName}`);
    // The last crash counted may still be waiting out its backoff.
    // Repeats are counted on one event (count).
    const restarts = events.filter((e) => e.reason === "Restarted").reduce((n, e) => n + (e.count ?? 1), 0);
    assert.ok(restarts >= 2, `restarts recorded: ${restarts}`);

    const containers = await run.containers({ "orchestra.deployment": "sick" });
    assert.ok(containers.length <= 1, `containers: ${containers.map((c) => c.name).join(", ")}`);
  });
});
