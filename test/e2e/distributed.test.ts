// Distributed mode on the real Docker engine and a real ZooKeeper: API, two controllers, a scheduler and two
// workers as separate processes; a deployment spread over both nodes; a standby controller that takes over.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import type { Deployment, NodeInfo, Pod } from "../../src/core/types.js";
import { DockerRuntime } from "../../src/runtime/docker/docker-runtime.js";
import { subnetAddress, subnetContains } from "../../src/runtime/ipv4.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import {
  eventually,
  httpGet,
  type ObservedContainer,
  type OrchestraProcess,
  runCli,
} from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../support/images.js";
import { DistributedRun, logLines, logMessages, NOTHING_LEFT } from "../support/processes.js";

const NAME = "web";
const STEP_TIMEOUT_MS = 90_000;
// Short sessions so that a killed leader's candidacy expires within seconds (ZooKeeper allows up to 4 s here).
const SESSION_TIMEOUT_MS = 2000;

interface PlacedPod {
  pod: Pod;
  container: ObservedContainer;
}

let run: DistributedRun;
let controllers: OrchestraProcess[] = [];
let store: ZooKeeperStore;

/**
 * Asserts that Orchestra and Docker agree on `replicas` running pods, `perNode` on each node of the run: one
 * running container per pod, on the node the pod is bound to (its orchestra.node label), with the pod's IP.
 */
async function converged(replicas: number, perNode: number): Promise<PlacedPod[]> {
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
  for (const node of run.nodeNames) {
    const onNode = containers.filter((c) => c.labels["orchestra.node"] === node).length;
    assert.equal(onNode, perNode, `${onNode} containers on ${node}: ${seen}`);
  }
  assert.equal(pods.length, replicas, `Orchestra has ${pods.length} pods`);
  return pods.map((pod) => {
    assert.equal(pod.status.phase, "Running", `${pod.name} is ${pod.status.phase}: ${pod.status.message}`);
    const container = containers.find((c) => c.labels["orchestra.pod"] === pod.id);
    assert.ok(container, `no container on Docker for pod ${pod.name}`);
    assert.equal(container.labels["orchestra.node"], pod.node, `${pod.name} runs on another node`);
    assert.equal(container.name, `${pod.name}.${pod.node}`);
    assert.equal(container.id, pod.status.containerId, `${pod.name}: container id`);
    assert.equal(container.ip, pod.status.ip, `${pod.name}: Docker's IP and Orchestra's differ`);
    return { pod, container };
  });
}

/** Every pod answers HTTP on the IP the API reports, with its own name. */
async function assertAnswering(pods: PlacedPod[]): Promise<void> {
  for (const { pod } of pods) {
    // The container runs before its HTTP server has bound the port: allow it a moment.
    const answer = await eventually(() => httpGet(`http://${pod.status.ip}:${DEMO_PORT}/`), {
      timeoutMs: 5000,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, `hello from ${pod.name}\n`);
  }
}

/**
 * Each worker has a bridge network of its own on its node's /24 of the run's pod CIDR (the engine is shared), and
 * its pods' addresses are in it; its firewall rules let pods on the two bridges reach each other.
 */
async function assertOwnSubnets(pods: PlacedPod[]): Promise<void> {
  const nodes = await run.api<NodeInfo[]>("/nodes");
  const subnets = new Map(nodes.map((node) => [node.name, node.podSubnet]));
  assert.deepEqual(
    await run.networks(),
    run.nodeNames.map((node) => ({ name: run.networkOf(node), subnet: subnets.get(node) })),
  );
  assert.equal(new Set(subnets.values()).size, 2, "two different subnets");
  for (const subnet of subnets.values())
    assert.ok(subnet && subnetContains(run.podCidr, subnetAddress(subnet, 0)));
  for (const { pod } of pods) {
    const subnet = subnets.get(pod.node ?? "") ?? "";
    assert.ok(subnetContains(subnet, pod.status.ip ?? ""), `${pod.name}: ${pod.status.ip} outside ${subnet}`);
  }
  assert.equal((await run.firewallRules()).length, 6, "three rules per node");
  // A pod on one node's bridge reaches a pod on the other's.
  const [from, to] = [
    pods.find((p) => p.pod.node === run.nodeNames[0]),
    pods.find((p) => p.pod.node === run.nodeNames[1]),
  ];
  assert.ok(from && to);
  const engine = new DockerRuntime();
  try {
    const url = `http://${to.pod.status.ip}:${DEMO_PORT}/`;
    const answer = await engine.exec(from.container.id, ["timeout", "5", "wget", "-qO-", url], {
      timeoutMs: 10_000,
    });
    assert.deepEqual(answer, { exitCode: 0, output: `hello from ${to.pod.name}\n` });
  } finally {
    await engine.close();
  }
}

/** `orchestra get nodes` as rows of cells (columns are separated by at least three spaces). */
async function nodeRows(): Promise<string[][]> {
  return (await run.cliOk(["get", "nodes"]))
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/ {3,}/));
}

/** The controller's candidate name in the election, from its log lines. */
function candidateOf(controller: OrchestraProcess): string {
  const candidate = logLines(controller).find((line) => typeof line.candidate === "string")?.candidate;
  assert.equal(typeof candidate, "string", `no candidate in the logs of controller ${controller.pid}`);
  return candidate as string;
}

const leads = (controller: OrchestraProcess) => logMessages(controller).includes("elected leader");
const ids = (pods: PlacedPod[]) => pods.map((p) => p.container.id).sort();

describe("distributed mode: components as separate processes on ZooKeeper", { timeout: 600_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await run.startZooKeeper();
    store = await run.storeClient();
    ({ controllers } = await run.startCluster({
      controllers: 2,
      schedulers: 1,
      workerArgs: ["--stop-grace", "2", "--label", `run=${run.id}`],
    }));
  });

  after(async () => {
    await run?.cleanup();
  });

  test("both workers register their nodes: get nodes shows them Ready", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const nodes = await eventually(async () => {
      const listed = await run.api<NodeInfo[]>("/nodes");
      assert.deepEqual(listed.map((n) => n.name).sort(), run.nodeNames);
      return listed;
    });
    for (const node of nodes) {
      assert.equal(node.address, "127.0.0.1");
      assert.equal(node.labels.run, run.id);
      assert.ok(node.capacity.cpu > 0 && node.capacity.memory > 0, `${node.name}: capacity read from Docker`);
    }
    const rows = await nodeRows();
    assert.deepEqual(rows[0], ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"]);
    assert.deepEqual(
      rows.slice(1).map((row) => row.slice(0, 3)),
      run.nodeNames.map((node) => [node, "Ready", "0"]),
    );
  });

  test("exactly one controller leads; the other stands by", { timeout: STEP_TIMEOUT_MS }, async () => {
    const leader = await eventually(async () => {
      const elected = controllers.filter(leads);
      assert.equal(elected.length, 1, `${elected.length} controllers say they were elected`);
      return elected[0] as OrchestraProcess;
    });
    const standby = controllers.find((c) => c !== leader) as OrchestraProcess;
    assert.equal(
      await store.leader("controller"),
      candidateOf(leader),
      "the store's election names the leader",
    );
    assert.notEqual(candidateOf(standby), candidateOf(leader));
    assert.ok(logMessages(leader).includes("leading: reconciling"));
    assert.ok(logMessages(standby).includes("campaigning"), `standby: ${standby.tail()}`);
    // Ordered by leadership from here on: controllers[0] leads.
    controllers = [leader, standby];
  });

  test("deploy 4 replicas: 2 containers on each node, each serving its pod's name", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const startedAt = performance.now();
    assert.equal(
      await run.cliOk(["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", "4"]),
      `deployment/${NAME} created\n`,
    );
    const pods = await eventually(() => converged(4, 2), { timeoutMs: 60_000 });
    t.diagnostic(`4 pods running on 2 nodes ${Math.round(performance.now() - startedAt)} ms after deploy`);
    assert.equal(new Set(pods.map((p) => p.pod.status.ip)).size, 4, "four distinct IPs");
    await assertOwnSubnets(pods);
    await assertAnswering(pods);
  });

  test("the standby controller does not write while the first leads", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [leader, standby] = controllers as [OrchestraProcess, OrchestraProcess];
    const reconciled = logLines(leader).filter((line) => line.msg === "pods reconciled");
    assert.deepEqual(
      reconciled.map((line) => [line.deployment, line.created, line.deleted]),
      [[NAME, 4, 0]],
      "the leader created the 4 pods, in one reconcile",
    );
    const standbyMessages = logMessages(standby);
    for (const leaderOnly of ["elected leader", "leading: reconciling", "pods reconciled"]) {
      assert.ok(
        !standbyMessages.includes(leaderOnly),
        `the standby logged "${leaderOnly}": ${standby.tail()}`,
      );
    }
    assert.equal(await store.leader("controller"), candidateOf(leader));
  });

  test("get nodes: both Ready with 2 pods each", { timeout: STEP_TIMEOUT_MS }, async () => {
    const rows = await nodeRows();
    assert.deepEqual(
      rows.slice(1).map((row) => row.slice(0, 3)),
      run.nodeNames.map((node) => [node, "Ready", "2"]),
    );
  });

  test("kill -9 of the leading controller: the standby takes over and scales to 6, 3 per node", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const [leader, standby] = controllers as [OrchestraProcess, OrchestraProcess];
    const before = ids(await eventually(() => converged(4, 2)));
    const killedAt = performance.now();
    assert.deepEqual(await leader.terminate("SIGKILL"), { code: null, signal: "SIGKILL" });
    // Scaled while no controller may lead yet: the new leader must pick the change up from the store.
    assert.equal(await run.cliOk(["scale", NAME, "6"]), `deployment/${NAME} scaled\n`);

    await eventually(
      async () => {
        assert.equal(await store.leader("controller"), candidateOf(standby), "the store's election");
        assert.ok(leads(standby), `the standby has not taken over: ${standby.tail(5)}`);
      },
      { timeoutMs: 30_000 },
    );
    t.diagnostic(`standby elected ${Math.round(performance.now() - killedAt)} ms after kill -9`);
    const pods = await eventually(() => converged(6, 3), { timeoutMs: 60_000 });
    t.diagnostic(`6 pods running, 3 per node, ${Math.round(performance.now() - killedAt)} ms after kill -9`);
    for (const id of before) assert.ok(ids(pods).includes(id), "the takeover kept the 4 running pods");
    await assertAnswering(pods);

    const reconciled = logLines(standby).filter((line) => line.msg === "pods reconciled");
    assert.deepEqual(
      reconciled.map((line) => [line.deployment, line.replicas, line.created, line.deleted]),
      [[NAME, 6, 2, 0]],
      "the new leader created exactly the 2 missing pods",
    );
    const deployment = await run.api<Deployment>(`/deployments/${NAME}`);
    assert.equal(deployment.replicas, 6);
    const rows = await nodeRows();
    assert.deepEqual(
      rows.slice(1).map((row) => row.slice(0, 3)),
      run.nodeNames.map((node) => [node, "Ready", "3"]),
    );
  });

  test("a worker given another node's network is refused; the node it claimed a subnet for can be deleted", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [nodeA] = run.nodeNames as [string];
    const stranger = `${run.id}-c`;
    const args = ["run", "worker", "--store", run.storeUrl, "--name", stranger, "--address", "127.0.0.1"];
    const refused = await runCli([...args, "--network", run.networkOf(nodeA), "--pod-cidr", run.podCidr]);
    const nodes = await run.api<NodeInfo[]>("/nodes");
    const taken = nodes.find((node) => node.name === nodeA)?.podSubnet;
    const claimed = nodes.find((node) => node.name === stranger)?.podSubnet;
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.split("\n").find((line) => line.startsWith("error: ")),
      `error: network "${run.networkOf(nodeA)}" on the engine has subnet ${taken}, but node "${stranger}" holds ${claimed}: each node needs a network of its own (--network NAME); remove an old one with orchestra down --network ${run.networkOf(nodeA)}`,
    );
    assert.equal(
      await run.cliOk(["delete", "node", stranger]),
      `node/${stranger} deleted (pod subnet ${claimed} released)\n`,
    );
    assert.deepEqual(
      (await run.api<NodeInfo[]>("/nodes")).map((node) => node.name),
      run.nodeNames,
    );
  });

  test("cleanup leaves no processes, containers, network or ZooKeeper behind", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const live = await run.leftovers();
    assert.equal(live.processes.length, 5, "API, the new leader, scheduler and 2 workers still run");
    assert.equal(live.containers.length, 6);
    await run.cleanup();
    assert.deepEqual(await run.leftovers(), NOTHING_LEFT);
  });
});
