// `orchestra up` on the real Docker engine, driven through the built CLI: what Docker itself runs after
// deploy, scale, a new image, delete, a killed container and a restart of Orchestra (issue 3's "Shown by").
import assert from "node:assert/strict";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import type { Deployment, Pod } from "../../src/core/types.js";
import { subnetContains } from "../../src/runtime/ipv4.js";
import {
  ClusterRun,
  eventually,
  httpGet,
  type ObservedContainer,
  type OrchestraProcess,
  runCli,
} from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages, TEST_IMAGE } from "../support/images.js";

const NAME = "web";
// The demo image and the command below both exit on SIGTERM; a short grace bounds a stop that hangs anyway.
const UP_ARGS = ["--stop-grace", "2"];
// The second revision: another image, serving its own page, ending on SIGTERM (busybox httpd as PID 1 would not).
const V2_COMMAND = [
  "sh",
  "-c",
  'echo "v2 from $ORCHESTRA_POD_NAME" > /tmp/index.html; trap "exit 0" TERM; httpd -f -p 8080 -h /tmp & wait',
];
const STEP_TIMEOUT_MS = 90_000;

interface RunningPod {
  pod: Pod;
  container: ObservedContainer;
}

let run: ClusterRun;
let orchestraUp: OrchestraProcess;

/**
 * Asserts that Orchestra and Docker agree on `replicas` running pods of the deployment's current revision:
 * one running container per pod on this run's node, with the id and IP the pod reports, and nothing else.
 */
async function converged(replicas: number): Promise<RunningPod[]> {
  const deployment = await run.api<Deployment>(`/deployments/${NAME}`);
  const [pods, containers] = await Promise.all([
    run.api<Pod[]>(`/pods?deployment=${NAME}`),
    run.containers({ "orchestra.deployment": NAME }),
  ]);
  const seen = containers.map((c) => `${c.name}(${c.state})`).join(", ");
  assert.equal(containers.length, replicas, `Docker has ${containers.length} containers: ${seen}`);
  assert.ok(
    containers.every((c) => c.running),
    `not all running: ${seen}`,
  );
  assert.equal(pods.length, replicas, `Orchestra has ${pods.length} pods`);
  return pods.map((pod) => {
    assert.equal(pod.status.phase, "Running", `${pod.name} is ${pod.status.phase}: ${pod.status.message}`);
    assert.equal(pod.node, run.nodeName);
    assert.equal(pod.hash, deployment.hash, `${pod.name} is of an old revision`);
    const container = containers.find((c) => c.labels["orchestra.pod"] === pod.id);
    assert.ok(container, `no container on Docker for pod ${pod.name}`);
    assert.equal(container.id, pod.status.containerId, `${pod.name}: container id`);
    assert.equal(container.ip, pod.status.ip, `${pod.name}: Docker's IP and Orchestra's differ`);
    assert.equal(container.name, `${pod.name}.${run.nodeName}`);
    assert.equal(container.labels["orchestra.managed"], "true");
    assert.equal(container.labels["orchestra.pod-name"], pod.name);
    assert.equal(container.labels["orchestra.revision"], deployment.hash);
    return { pod, container };
  });
}

/** Every pod answers HTTP on the IP Orchestra reports, with `<greeting> <pod name>`. */
async function assertAnswering(pods: RunningPod[], greeting: string): Promise<void> {
  for (const { pod } of pods) {
    // The container runs before its HTTP server has bound the port: allow it a moment.
    const answer = await eventually(() => httpGet(`http://${pod.status.ip}:${DEMO_PORT}/`), {
      timeoutMs: 5000,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, `${greeting} ${pod.name}\n`);
  }
}

/** A kubectl-style table's lines split into cells (columns are separated by at least three spaces). */
function table(text: string): string[][] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/ {3,}/));
}

const ids = (pods: RunningPod[]) => pods.map((p) => p.container.id).sort();

describe("orchestra up on the local Docker engine", { timeout: 600_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("aio");
    orchestraUp = await run.up(UP_ARGS);
  });

  after(async () => {
    await run?.cleanup();
  });

  test("deploy 3 replicas: 3 containers on Docker, each serving its pod's name on the IP Orchestra reports", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const startedAt = performance.now();
    assert.equal(
      await run.cliOk(["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", "3"]),
      `deployment/${NAME} created\n`,
    );
    const pods = await eventually(() => converged(3));
    t.diagnostic(`3 pods running ${Math.round(performance.now() - startedAt)} ms after deploy`);
    assert.ok(await run.networkExists(), `the pods' network ${run.network} exists`);
    assert.equal(new Set(pods.map((p) => p.pod.status.ip)).size, 3, "three distinct IPs");
    for (const { pod } of pods) assert.match(pod.name, /^web-[a-z0-9]+$/);
    await assertAnswering(pods, "hello from");

    // The CLI's JSON reports the same pods, containers and addresses.
    const listed = await run.json<Pod[]>(["get", "pods"]);
    assert.deepEqual(
      listed.map((p) => [p.name, p.status.containerId, p.status.ip]).sort(),
      pods.map((p) => [p.pod.name, p.container.id, p.container.ip]).sort(),
    );
  });

  test("get deployments, pods -o wide and nodes show READY 3/3, each pod's node and IP, 3 pods on the node", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const deployments = table(await run.cliOk(["get", "deployments"]));
    assert.deepEqual(deployments[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert.deepEqual(
      deployments.slice(1).map((row) => row.slice(0, 4)),
      [[NAME, "3/3", "3", "3"]],
    );

    const pods = await eventually(() => converged(3));
    const wide = table(await run.cliOk(["get", "pods", "-o", "wide"]));
    assert.deepEqual(wide[0]?.slice(0, 7), ["NAME", "DEPLOYMENT", "STATUS", "NODE", "IP", "RESTARTS", "AGE"]);
    assert.deepEqual(
      wide
        .slice(1)
        .map((row) => row.slice(0, 6))
        .sort(),
      pods.map(({ pod }) => [pod.name, NAME, "Running", run.nodeName, pod.status.ip, "0"]).sort(),
    );

    const nodes = table(await run.cliOk(["get", "nodes"]));
    assert.deepEqual(nodes[0], ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"]);
    assert.deepEqual(
      nodes.slice(1).map((row) => row.slice(0, 3)),
      [[run.nodeName, "Ready", "3"]],
    );
    // The node holds the first /24 of the run's pod CIDR, and its pods' addresses are in it.
    const subnet = run.podCidr.replace(/\/16$/, "/24");
    const wideNodes = table(await run.cliOk(["get", "nodes", "-o", "wide"]));
    assert.equal(wideNodes[0]?.[7], "POD-SUBNET");
    assert.equal(wideNodes[1]?.[7], subnet);
    for (const { pod } of pods)
      assert.ok(subnetContains(subnet, pod.status.ip ?? ""), `${pod.status.ip} in ${subnet}`);
  });

  test("another cluster whose pod CIDR overlaps this one's network is refused, naming the route in the way", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const other = new ClusterRun("overlap");
    try {
      const args = [
        "up",
        "--data-dir",
        join(other.dataDir, "store"),
        "--api-port",
        "0",
        "--name",
        other.nodeName,
      ];
      const refused = await runCli([...args, "--network", other.network, "--pod-cidr", run.podCidr]);
      const subnet = run.podCidr.replace(/\/16$/, "/24").replace(/\./g, "\\.");
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr.split("\n").find((line) => line.startsWith("error: ")) ?? refused.stderr,
        new RegExp(
          `^error: pod CIDR ${run.podCidr.replace(/\./g, "\\.")} overlaps this machine's route ${subnet} dev br-[0-9a-f]+ proto kernel: start the cluster with another --pod-cidr, or remove that network$`,
        ),
      );
      assert.equal(await other.networkExists(), false, "nothing was made");
    } finally {
      await other.cleanup();
    }
  });

  test("docker kill of a pod's container: a running replacement within 3 s", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const before = await eventually(() => converged(3));
    const victim = before[0] as RunningPod;
    const killedAt = performance.now();
    await run.docker.getContainer(victim.container.id).kill();

    // Watch Docker closely: three running containers again, the killed one not among them (or restarted).
    const replaced = await eventually(
      async () => {
        const running = (await run.containers({ "orchestra.deployment": NAME })).filter((c) => c.running);
        const restartedInPlace =
          running.some((c) => c.id === victim.container.id) &&
          Date.parse((await run.docker.getContainer(victim.container.id).inspect()).State.StartedAt) >
            performance.timeOrigin + killedAt;
        assert.equal(running.length, 3, `${running.length} running`);
        assert.ok(
          restartedInPlace || !running.some((c) => c.id === victim.container.id),
          "the killed container is not dead",
        );
        return performance.now() - killedAt;
      },
      { timeoutMs: 15_000, intervalMs: 25 },
    );
    t.diagnostic(`replacement running ${Math.round(replaced)} ms after docker kill`);
    assert.ok(replaced <= 3000, `replacement took ${Math.round(replaced)} ms`);

    // Orchestra reports it: the pod counts a restart, and the new container serves.
    const after = await eventually(() => converged(3));
    const restarted = after.find((p) => p.pod.id === victim.pod.id);
    if (restarted) assert.equal(restarted.pod.status.restarts, 1);
    await assertAnswering(after, "hello from");
  });

  test("restarting orchestra up keeps the same containers running and starts no duplicates", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = await eventually(() => converged(3));
    assert.deepEqual(await orchestraUp.terminate("SIGTERM"), { code: 0, signal: null });

    // While Orchestra is down the pods keep running.
    const whileDown = await run.containers();
    assert.deepEqual(whileDown.map((c) => c.id).sort(), ids(before));
    assert.ok(whileDown.every((c) => c.running));

    orchestraUp = await run.up(UP_ARGS);
    await eventually(() => assert.match(orchestraUp.stderr, /"msg":"worker started"/));
    const adopted = await eventually(() => converged(3));
    assert.deepEqual(ids(adopted), ids(before), "the pods report the containers that ran before");
    // No duplicate appears while the restarted worker syncs every pod: watch Docker for a while.
    const watchUntil = Date.now() + 3000;
    while (Date.now() < watchUntil) {
      const now = await run.containers();
      assert.deepEqual(now.map((c) => c.id).sort(), ids(before), "containers changed after the restart");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await assertAnswering(adopted, "hello from");
  });

  test("scale to 5, then to 1: Docker agrees", { timeout: STEP_TIMEOUT_MS }, async () => {
    const before = ids(await eventually(() => converged(3)));

    assert.equal(await run.cliOk(["scale", NAME, "5"]), `deployment/${NAME} scaled\n`);
    const five = await eventually(() => converged(5));
    for (const id of before) assert.ok(ids(five).includes(id), "scaling up keeps the running pods");
    await assertAnswering(five, "hello from");

    assert.equal(await run.cliOk(["scale", NAME, "1"]), `deployment/${NAME} scaled\n`);
    // converged() counts stopped containers too: the four removed pods leave none behind.
    const one = await eventually(() => converged(1));
    assert.ok(ids(five).includes(one[0]?.container.id ?? ""));
  });

  test("a new image: every pod runs the new revision", { timeout: STEP_TIMEOUT_MS }, async () => {
    const old = await run.api<Deployment>(`/deployments/${NAME}`);
    const oldIds = ids(await eventually(() => converged(1)));

    const deployed = await run.cliOk([
      "deploy",
      NAME,
      "--image",
      TEST_IMAGE,
      "--replicas",
      "3",
      "--",
      ...V2_COMMAND,
    ]);
    assert.equal(deployed, `deployment/${NAME} configured\n`);
    const current = await run.api<Deployment>(`/deployments/${NAME}`);
    assert.notEqual(current.hash, old.hash);

    const pods = await eventually(() => converged(3));
    for (const { container } of pods) {
      assert.equal(container.image, TEST_IMAGE);
      assert.ok(!oldIds.includes(container.id), "an old container survived the new revision");
    }
    await assertAnswering(pods, "v2 from");
  });

  test("delete: no containers are left", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.equal(await run.cliOk(["delete", NAME]), `deployment/${NAME} deleted\n`);
    await eventually(async () => {
      assert.deepEqual(
        (await run.containers()).map((c) => c.name),
        [],
      );
      assert.deepEqual(await run.api<Pod[]>("/pods"), []);
    });
    assert.deepEqual(await run.json<Deployment[]>(["get", "deployments"]), []);
  });

  test("stopping leaves no containers, networks or processes behind", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    assert.deepEqual(await orchestraUp.terminate("SIGTERM"), { code: 0, signal: null });
    await run.cleanup();
    assert.deepEqual(await run.leftovers(), { processes: [], containers: [], network: false });
  });
});
