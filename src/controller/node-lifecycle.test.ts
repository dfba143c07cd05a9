import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { NodeInfo, Pod } from "../core/types.js";
import type { EventInput, EventSink } from "../events/event-recorder.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { savePod } from "../store/testing/pod-test-support.js";
import { Controller } from "./controller.js";
import { deployment, podOf } from "./testing/test-fixtures.js";

const web = deployment({ name: "web", replicas: 2 });

function nodeInfo(name: string): NodeInfo {
  return {
    name,
    address: "127.0.0.1",
    labels: {},
    capacity: { cpu: 1000, memory: 1 << 30 },
    schedulable: true,
    registeredAt: "2024-01-01T00:00:00.000Z",
  };
}

function runningOn(id: string, node: string): Pod {
  const pod = podOf(web, id, { node, phase: "Running" });
  return { ...pod, status: { ...pod.status, ready: true, containerId: `c-${id}`, ip: "10.0.0.2" } };
}

class CollectedEvents implements EventSink {
  readonly events: EventInput[] = [];
  record(event: EventInput): void {
    this.events.push(event);
  }
  /** The node lifecycle's events (the deployment loop records rollout events beside them). */
  reasons(): string[] {
    const ours = new Set(["NodeLost", "PodRescheduled", "NodeLossHeld"]);
    return this.events.map((event) => event.reason).filter((reason) => ours.has(reason));
  }
}

describe("node lifecycle in the controller", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let controller: Controller | undefined;
  let events: CollectedEvents;
  /** One store client (session) per worker node, so that closing it removes that node's registration. */
  const workers = new Map<string, Store>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-node-lifecycle-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    events = new CollectedEvents();
    await store.set(keys.deployment("web"), web);
    for (const name of ["n1", "n2"]) {
      const client = backend.connect();
      workers.set(name, client);
      await client.create(keys.node(name), nodeInfo(name), { ephemeral: true });
    }
    await savePod(store, runningOn("p1", "n1"));
    await savePod(store, runningOn("p2", "n2"));
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    workers.clear();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startController(): Promise<Controller> {
    const started = new Controller(backend.connect(), {
      candidate: "c1",
      resyncMs: 0,
      events,
      nodeLoss: { graceMs: 200, massLossHoldMs: 60_000, restartGraceMs: 60_000 },
    });
    controller = started;
    await started.start();
    await eventually(() => assert.ok(started.leading));
    return started;
  }

  const pod = async (id: string) => (await store.get<Pod>(keys.pod(id)))?.value;

  test("pods of a node whose registration is gone are unbound, under their names, after the grace", async () => {
    await startController();
    const lostAt = Date.now();
    await workers.get("n1")?.close();
    await eventually(async () => assert.equal((await pod("p1"))?.node, undefined), 5_000);
    assert.ok(Date.now() - lostAt >= 200, "not before the grace");
    const moved = (await pod("p1")) as Pod;
    assert.equal(moved.name, "web-p1");
    assert.equal(moved.status.phase, "Pending");
    assert.equal(moved.status.ready, false);
    assert.equal(moved.status.message, "node n1 lost");
    assert.equal(moved.status.containerId, undefined);
    assert.equal((await pod("p2"))?.node, "n2", "the pod on the live node stays");
    await eventually(() => assert.deepEqual(events.reasons().sort(), ["NodeLost", "PodRescheduled"]));
    const lost = events.events.find((event) => event.reason === "NodeLost");
    assert.equal(lost?.object, "node/n1");
  });

  test("a node that re-registers within the grace keeps its pods", async () => {
    await startController();
    await workers.get("n1")?.close();
    const again = backend.connect();
    await again.create(keys.node("n1"), nodeInfo("n1"), { ephemeral: true });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await controller?.nodeLifecycle.whenIdle();
    assert.equal((await pod("p1"))?.node, "n1");
    assert.deepEqual(events.reasons(), []);
  });

  test("a node whose worker stopped cleanly keeps its pods past the short grace", async () => {
    await startController();
    const worker = workers.get("n1") as Store;
    const entry = await worker.get<NodeInfo>(keys.node("n1"));
    await worker.set(
      keys.node("n1"),
      { ...entry?.value, stoppingAt: new Date().toISOString() },
      entry?.version,
    );
    await worker.close();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await controller?.nodeLifecycle.whenIdle();
    assert.equal((await pod("p1"))?.node, "n1");
    assert.deepEqual(events.reasons(), []);
  });

  test("every node gone at once (an outage): nothing is unbound; the nodes return to their pods", async () => {
    await startController();
    await Promise.all([workers.get("n1")?.close(), workers.get("n2")?.close()]);
    await eventually(() => assert.deepEqual(events.reasons(), ["NodeLossHeld"]));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await controller?.nodeLifecycle.whenIdle();
    assert.equal((await pod("p1"))?.node, "n1");
    assert.equal((await pod("p2"))?.node, "n2");
    for (const name of ["n1", "n2"]) {
      await backend.connect().create(keys.node(name), nodeInfo(name), { ephemeral: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    await controller?.nodeLifecycle.whenIdle();
    assert.equal((await pod("p1"))?.node, "n1");
    assert.equal((await pod("p2"))?.node, "n2");
    assert.deepEqual(events.reasons(), ["NodeLossHeld"]);
  });

  test("a deposed controller unbinds nothing", async () => {
    const started = await startController();
    await started.stop();
    controller = undefined;
    await workers.get("n1")?.close();
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal((await pod("p1"))?.node, "n1");
  });
});
