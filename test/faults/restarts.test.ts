// Fault scenarios 4 and 10 of the reliability suite, on ZooKeeper with every component its own process: a
// worker killed and restarted ten times, then every control-plane process restarted, in a steady state that
// must not move (not one container created, removed or restarted).
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pod } from "../../src/core/types.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import { eventually, type OrchestraProcess } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { DistributedRun, logMessages } from "../support/processes.js";
import {
  DockerEventLog,
  printReliability,
  RegistrationGaps,
  reproduce,
  SESSION_TIMEOUT_MS,
  seconds,
} from "./support-leaders.js";

const NAME = "web";
const REPLICAS = 4;
const T = SESSION_TIMEOUT_MS;
const STEP_TIMEOUT_MS = 120_000;
const WORKER_ARGS = ["--stop-grace", "2"];
/** Docker actions that mean a container was made, removed, stopped or (re)started. */
const CONTAINER_CHANGES = ["create", "destroy", "start", "restart", "die", "kill", "stop"];

/** What Docker says about one container: what must not change while its pod stays put. */
interface ContainerState {
  id: string;
  pod: string;
  node: string;
  startedAt: string;
  restartCount: number;
  running: boolean;
}

let run: DistributedRun;
let store: ZooKeeperStore;
const workers = new Map<string, OrchestraProcess>();
let controlPlane: { api: OrchestraProcess; controllers: OrchestraProcess[]; schedulers: OrchestraProcess[] };
let steady: ContainerState[] = [];

async function containerStates(): Promise<ContainerState[]> {
  const containers = await run.containers({ "orchestra.deployment": NAME });
  const states = await Promise.all(
    containers.map(async (c) => {
      const inspected = await run.docker.getContainer(c.id).inspect();
      return {
        id: c.id,
        pod: c.labels["orchestra.pod"] ?? "",
        node: c.labels["orchestra.node"] ?? "",
        startedAt: inspected.State.StartedAt,
        restartCount: inspected.RestartCount,
        running: inspected.State.Running,
      };
    }),
  );
  return states.sort((a, b) => a.id.localeCompare(b.id));
}

/** The pods of the deployment are Running on the containers of `expected`, with no restarts counted. */
async function podsOn(expected: ContainerState[]): Promise<void> {
  const pods = (await store.list<Pod>("/pods")).map((e) => e.value).filter((p) => p.deployment === NAME);
  assert.equal(pods.length, expected.length, `${pods.length} pods in the store`);
  for (const pod of pods) {
    const container = expected.find((c) => c.pod === pod.id);
    assert.ok(container, `pod ${pod.name} has no container of the steady state`);
    assert.equal(pod.node, container.node, `${pod.name} moved`);
    assert.equal(pod.status.phase, "Running", `${pod.name} is ${pod.status.phase}`);
    assert.equal(pod.status.containerId, container.id, `${pod.name} reports another container`);
    assert.equal(pod.status.restarts, 0, `${pod.name} counts restarts`);
  }
}

/** Docker still runs exactly the containers of the steady state, never restarted. */
async function unchanged(): Promise<void> {
  assert.deepEqual(await containerStates(), steady, "Docker's containers changed");
  assert.ok(
    steady.every((c) => c.running && c.restartCount === 0),
    "a container stopped or was restarted",
  );
  await podsOn(steady);
}

function describeEvents(events: DockerEventLog): string {
  return events.events.map((e) => `${e.action} ${e.name}`).join(", ") || "none";
}

describe("faults: restarts in steady state", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await run.startZooKeeper();
    store = await run.storeClient();
    const cluster = await run.startCluster({ controllers: 2, schedulers: 2, workerArgs: WORKER_ARGS });
    controlPlane = { api: cluster.api, controllers: cluster.controllers, schedulers: cluster.schedulers };
    for (const [node, worker] of cluster.workers) workers.set(node, worker);
    await run.cliOk(["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", String(REPLICAS)]);
    steady = await eventually(
      async () => {
        const states = await containerStates();
        assert.equal(states.length, REPLICAS);
        for (const node of run.nodeNames) {
          assert.equal(states.filter((c) => c.node === node).length, REPLICAS / 2, `pods on ${node}`);
        }
        await podsOn(states);
        return states;
      },
      { timeoutMs: 60_000 },
    );
  });

  after(async () => {
    await run?.cleanup();
  });

  test("scenario 4: a worker killed (kill -9) and restarted ten times keeps its containers running, re-adopted, never restarted", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const node = run.nodeNames[0] as string;
    const events = new DockerEventLog(run.docker, run.nodeNames);
    await events.start();
    const gaps = new RegistrationGaps(store, run.nodeNames);
    await gaps.start();
    const restartMs: number[] = [];
    try {
      for (let round = 1; round <= 10; round++) {
        const killed = workers.get(node) as OrchestraProcess;
        const killedAt = performance.now();
        assert.deepEqual(await killed.terminate("SIGKILL"), { code: null, signal: "SIGKILL" });
        const restarted = await run.startWorker(node, WORKER_ARGS);
        workers.set(node, restarted);
        restartMs.push(performance.now() - killedAt);
        // Registered again (start() adopted what runs with its node label before registering).
        const registered = await store.get(`/nodes/${node}`);
        assert.ok(registered, `round ${round}: node ${node} is not registered`);
        await unchanged();
        const started = logMessages(restarted).filter(
          (m) => m === "container started" || m === "removing container",
        );
        assert.deepEqual(started, [], `round ${round}: the restarted worker touched containers`);
      }
      // Anything a restarted worker would still do to its containers shows by now.
      await sleep(2 * T);
      await unchanged();
      assert.deepEqual(events.of(...CONTAINER_CHANGES), [], `container events: ${describeEvents(events)}`);
    } finally {
      events.stop();
      gaps.stop();
    }
    const slowest = Math.max(...restartMs);
    const mean = restartMs.reduce((a, b) => a + b, 0) / restartMs.length;
    t.diagnostic(
      `restart times (kill -9 to worker ready): ${restartMs.map((ms) => Math.round(ms)).join(", ")} ms`,
    );
    printReliability(
      "4-worker-kill-x10",
      `10 × kill -9 of a worker, restarted at once (T = ${T / 1000} s): 0 container restarts, creates or removals; pods stay bound`,
      `0 restarts, 0 creates, 0 removals; same container ids and StartedAt; kill to worker ready: mean ${seconds(mean)}, max ${seconds(slowest)}; node unregistered at most ${seconds(gaps.longest)}`,
      reproduce("scenario 4"),
    );
  });

  test("scenario 10: restarting every control-plane process (api, controllers, schedulers, then workers) creates or removes no container", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const events = new DockerEventLog(run.docker, run.nodeNames);
    await events.start();
    const gaps = new RegistrationGaps(store, run.nodeNames);
    await gaps.start();
    const startedAt = performance.now();
    const restarted: string[] = [];
    try {
      // One after another, each stopped gracefully (SIGTERM) and started again, as a rolling upgrade would.
      const restart = async (
        label: string,
        component: OrchestraProcess,
        start: () => Promise<OrchestraProcess>,
      ): Promise<OrchestraProcess> => {
        const exit = await component.terminate("SIGTERM");
        assert.equal(exit.code, 0, `${label} exited ${JSON.stringify(exit)}: ${component.tail(5)}`);
        restarted.push(label);
        return start();
      };
      controlPlane.api = await restart("api", controlPlane.api, () => run.startApi());
      for (const [i, controller] of controlPlane.controllers.entries()) {
        controlPlane.controllers[i] = await restart(`controller ${i + 1}`, controller, () =>
          run.startController(),
        );
      }
      for (const [i, scheduler] of controlPlane.schedulers.entries()) {
        controlPlane.schedulers[i] = await restart(`scheduler ${i + 1}`, scheduler, () =>
          run.startScheduler(),
        );
      }
      for (const node of run.nodeNames) {
        workers.set(
          node,
          await restart(`worker ${node}`, workers.get(node) as OrchestraProcess, () =>
            run.startWorker(node, WORKER_ARGS),
          ),
        );
      }
      const restartsMs = performance.now() - startedAt;
      // The new leaders have reconciled everything once (they start with a full pass); give them 2T more.
      await eventually(async () => {
        assert.ok(await store.leader("controller"));
        assert.ok(await store.leader("scheduler"));
      });
      await sleep(2 * T);
      await unchanged();
      const changes = events.of(...CONTAINER_CHANGES);
      assert.deepEqual(changes, [], `container events: ${describeEvents(events)}`);
      t.diagnostic(`restarted ${restarted.join(", ")} in ${Math.round(restartsMs)} ms`);
      printReliability(
        "10-control-plane-restart",
        `restart of ${restarted.length} processes (api, 2 controllers, 2 schedulers, 2 workers): 0 container creates or removals (T = ${T / 1000} s)`,
        `0 creates, 0 removals, 0 restarts (restarts took ${seconds(restartsMs)}, then ${seconds(2 * T)} watched; a restarted node was unregistered at most ${seconds(gaps.longest)})`,
        reproduce("scenario 10"),
      );
    } finally {
      events.stop();
      gaps.stop();
    }
  });
});
