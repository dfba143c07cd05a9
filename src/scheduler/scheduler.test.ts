import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { NodeConfig } from "../core/node-config.js";
import type { NodeInfo, Pod, Resources } from "../core/types.js";
import type { EventInput } from "../events/event-recorder.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { Scheduler } from "./scheduler.js";

const GiB = 1024 ** 3;

function node(name: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    address: "10.0.0.1",
    labels: {},
    capacity: { cpu: 2000, memory: 4 * GiB },
    schedulable: true,
    registeredAt: "2024-01-01T00:00:00.000Z",
    ...extra,
  };
}

let counter = 0;
function pod(deployment: string, resources?: Resources): Pod {
  const id = `p${(counter++).toString(16).padStart(9, "0")}`;
  return {
    id,
    name: `${deployment}-${id.slice(-5)}`,
    deployment,
    hash: "h1",
    template: { image: "busybox", ...(resources ? { resources } : {}) },
    status: { phase: "Pending", restarts: 0 },
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, counter)).toISOString(),
    updatedAt: "2024-01-01T00:00:00.000Z",
  };
}

describe("Scheduler on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  const schedulers: Scheduler[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-scheduler-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    recorded = [];
  });

  afterEach(async () => {
    for (const scheduler of schedulers.splice(0)) await scheduler.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let recorded: EventInput[] = [];

  async function startScheduler(candidate = "s1", batchSize?: number): Promise<Scheduler> {
    const events = { record: (event: EventInput) => void recorded.push(event) };
    const scheduler = new Scheduler(backend.connect(), { candidate, resyncMs: 0, batchSize, events });
    schedulers.push(scheduler);
    await scheduler.start();
    return scheduler;
  }

  async function storedPods(): Promise<Pod[]> {
    return (await store.list<Pod>(keys.pods)).map((entry) => entry.value);
  }

  function placement(pods: Pod[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const p of pods) if (p.node) counts[p.node] = (counts[p.node] ?? 0) + 1;
    return counts;
  }

  test("binds a deployment of 4 to two nodes 2 and 2 with version-checked writes", async () => {
    await store.set(keys.node("n1"), node("n1"));
    await store.set(keys.node("n2"), node("n2"));
    const scheduler = await startScheduler();
    await eventually(() => assert.equal(scheduler.leading, true));
    // Created one by one, as the controller's watch events would arrive.
    for (let i = 0; i < 4; i++) {
      const p = pod("web");
      await store.create(keys.pod(p.id), p);
    }
    await eventually(async () => assert.deepEqual(placement(await storedPods()), { n1: 2, n2: 2 }));
    for (const entry of await store.list<Pod>(keys.pods)) {
      assert.equal(entry.version, 1, "one write per pod");
      assert.equal(entry.value.status.phase, "Pending");
      assert.equal(entry.value.status.message, undefined);
    }
  });

  test("counts its own bindings before the pod cache shows them (one pod per batch)", async () => {
    await store.set(keys.node("n1"), node("n1"));
    await store.set(keys.node("n2"), node("n2"));
    const scheduler = await startScheduler("s1", 1);
    await eventually(() => assert.equal(scheduler.leading, true));
    const pods = Array.from({ length: 6 }, () => pod("web"));
    await store.transaction(pods.map((p) => ({ op: "create", key: keys.pod(p.id), value: p })));
    await eventually(async () => assert.deepEqual(placement(await storedPods()), { n1: 3, n2: 3 }));
  });

  test("with no nodes the pod says so, and is placed once a node registers", async () => {
    const scheduler = await startScheduler();
    await eventually(() => assert.equal(scheduler.leading, true));
    const p = pod("web");
    await store.create(keys.pod(p.id), p);
    await eventually(async () =>
      assert.equal((await store.get<Pod>(keys.pod(p.id)))?.value.status.message, "no ready nodes"),
    );
    await scheduler.whenIdle();
    assert.equal((await store.get<Pod>(keys.pod(p.id)))?.version, 1, "the message is written once");

    await store.create(keys.node("n1"), node("n1", { schedulable: false }));
    await eventually(async () =>
      assert.equal(
        (await store.get<Pod>(keys.pod(p.id)))?.value.status.message,
        "0/1 nodes available: 1 cordoned",
      ),
    );
    await store.create(keys.node("n2"), node("n2"));
    await eventually(async () => {
      const stored = (await store.get<Pod>(keys.pod(p.id)))?.value;
      assert.equal(stored?.node, "n2");
      assert.equal(stored?.status.message, undefined);
    });
  });

  test("resources count across batches; a freed node takes the waiting pod", async () => {
    await store.set(keys.node("n1"), node("n1", { capacity: { cpu: 1000, memory: GiB } }));
    const scheduler = await startScheduler();
    await eventually(() => assert.equal(scheduler.leading, true));
    const first = pod("db", { cpu: 800 });
    await store.create(keys.pod(first.id), first);
    await eventually(async () => assert.equal((await store.get<Pod>(keys.pod(first.id)))?.value.node, "n1"));
    const second = pod("web", { cpu: 800 });
    await store.create(keys.pod(second.id), second);
    await eventually(async () =>
      assert.equal(
        (await store.get<Pod>(keys.pod(second.id)))?.value.status.message,
        "0/1 nodes available: 1 insufficient cpu",
      ),
    );
    await store.delete(keys.pod(first.id));
    await eventually(async () => assert.equal((await store.get<Pod>(keys.pod(second.id)))?.value.node, "n1"));
  });

  test("only the leader binds; a standby takes over when it stops", async () => {
    await store.set(keys.node("n1"), node("n1"));
    const first = await startScheduler("s1");
    await eventually(() => assert.equal(first.leading, true));
    const second = await startScheduler("s2");
    assert.equal(second.leading, false);
    const a = pod("web");
    await store.create(keys.pod(a.id), a);
    await eventually(async () => assert.equal((await store.get<Pod>(keys.pod(a.id)))?.value.node, "n1"));

    await first.stop();
    await eventually(() => assert.equal(second.leading, true));
    const b = pod("web");
    await store.create(keys.pod(b.id), b);
    await eventually(async () => assert.equal((await store.get<Pod>(keys.pod(b.id)))?.value.node, "n1"));
  });

  test("pods waiting when it is elected are placed; bound pods are left alone", async () => {
    await store.set(keys.node("n1"), node("n1"));
    await store.set(keys.node("n2"), node("n2"));
    const waiting = Array.from({ length: 6 }, () => pod("api"));
    for (const p of waiting) await store.create(keys.pod(p.id), p);
    const bound = { ...pod("db"), node: "gone" };
    await store.create(keys.pod(bound.id), bound);
    const scheduler = await startScheduler();
    await eventually(async () => assert.deepEqual(placement(await storedPods()), { n1: 3, n2: 3, gone: 1 }));
    await scheduler.whenIdle();
    const kept = await store.get<Pod>(keys.pod(bound.id));
    assert.equal(kept?.version, 0, "a pod on a vanished node is not rebound by the scheduler");
  });

  test("a node cordoned through /nodeconfig takes no pods; events say why and where", async () => {
    await store.set(keys.node("n1"), node("n1"));
    await store.set<NodeConfig>(keys.nodeConfig("n1"), { unschedulable: true });
    const scheduler = await startScheduler();
    await eventually(() => assert.equal(scheduler.leading, true));
    const p = pod("web");
    await store.create(keys.pod(p.id), p);
    await eventually(async () =>
      assert.equal(
        (await store.get<Pod>(keys.pod(p.id)))?.value.status.message,
        "0/1 nodes available: 1 cordoned",
      ),
    );
    await store.set<NodeConfig>(keys.nodeConfig("n1"), { unschedulable: false });
    await eventually(async () => assert.equal((await store.get<Pod>(keys.pod(p.id)))?.value.node, "n1"));
    assert.deepEqual(recorded, [
      {
        type: "Warning",
        reason: "FailedScheduling",
        object: `pod/${p.name}`,
        deployment: "web",
        message: "0/1 nodes available: 1 cordoned",
      },
      {
        type: "Normal",
        reason: "Scheduled",
        object: `pod/${p.name}`,
        deployment: "web",
        message: "assigned to node n1",
      },
    ]);
  });

  test("the Scheduled event names the node even when the binding's watch event comes before the reply", async () => {
    await store.create(keys.node("n1"), node("n1"));
    // As on ZooKeeper, where the writer may hear of its own change before its write is acknowledged.
    const client = backend.connect();
    const transaction = client.transaction.bind(client);
    let scheduler: Scheduler | undefined;
    client.transaction = async (ops, lease) => {
      await transaction(ops, lease);
      const bound =
        ops
          .find((op) => op.op === "set")
          ?.key.split("/")
          .at(-1) ?? "";
      await eventually(() => assert.equal(scheduler?.pods.get(bound)?.node, "n1"));
    };
    const events = { record: (event: EventInput) => void recorded.push(event) };
    scheduler = new Scheduler(client, { candidate: "s1", resyncMs: 0, events });
    schedulers.push(scheduler);
    await scheduler.start();
    await eventually(() => assert.equal(scheduler?.leading, true));
    const p = pod("web");
    await store.create(keys.pod(p.id), p);
    await eventually(() => assert.equal(recorded.length, 1));
    assert.equal(recorded[0]?.message, "assigned to node n1");
  });
});
