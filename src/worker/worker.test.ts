import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { NodeInfo, Pod } from "../core/types.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import { FakeRuntime } from "../runtime/testing/fake/fake-runtime.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import { podCreateOps, podDeleteOps, podWriteOps } from "../store/pod-ops.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { Worker } from "./worker.js";

const IMAGE = "orchestra/hello:latest";

function pod(id: string, node: string | undefined, image = IMAGE): Pod {
  const now = new Date().toISOString();
  return {
    id,
    name: `web-${id}`,
    deployment: "web",
    hash: "abc",
    template: { image },
    node,
    status: { phase: "Pending", restarts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

describe("worker on the fake runtime", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let runtime: FakeRuntime;
  const workers: Worker[] = [];

  const startWorker = async (name: string, engine = runtime): Promise<Worker> => {
    const worker = new Worker({
      store,
      runtime: engine,
      name,
      address: "127.0.0.1",
      network: { name: "orchestra-test", subnet: "10.99.0.0/24" },
      stopGraceSeconds: 0,
      crashBackoff: { initialMs: 200, maxMs: 400 },
    });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  const containersOf = async (node: string) =>
    runtime.list({ labels: { [LABEL_MANAGED]: "true", [LABEL_NODE]: node } });
  const podStatus = async (id: string) => (await store.get<Pod>(keys.pod(id)))?.value.status;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-worker-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    runtime = new FakeRuntime({ images: [IMAGE], cpus: 2, memoryBytes: 2 ** 30 });
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("registers its node with capacity and the pod subnet", async () => {
    await startWorker("n1");
    const node = (await store.get<NodeInfo>(keys.node("n1")))?.value;
    assert.equal(node?.address, "127.0.0.1");
    assert.deepEqual(node?.capacity, { cpu: 2000, memory: 2 ** 30 });
    assert.equal(node?.podSubnet, "10.99.0.0/24");
  });

  test("runs a pod bound to it and reports Running with the container's IP", async () => {
    await store.transaction(podCreateOps(pod("p1", "n1")));
    const status = await eventually(async () => {
      const s = await podStatus("p1");
      assert.equal(s?.phase, "Running");
      return s;
    });
    const containers = await containersOf("n1");
    assert.equal(containers.length, 1);
    assert.equal(containers[0]?.labels[LABEL_POD], "p1");
    assert.equal(status?.ip, containers[0]?.ip);
    assert.equal(status?.containerId, containers[0]?.id);
  });

  test("ignores pods bound to other nodes and unbound pods", async () => {
    await store.transaction(podCreateOps(pod("other", "n2")));
    await store.transaction(podCreateOps(pod("unbound", undefined)));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await containersOf("n1")).length, 1);
    assert.equal((await podStatus("other"))?.phase, "Pending");
  });

  test("replaces a container that dies and counts the restart", async () => {
    const before = (await containersOf("n1"))[0];
    assert.ok(before);
    runtime.crash(before.id, { exitCode: 3 });
    await eventually(async () => {
      const s = await podStatus("p1");
      assert.equal(s?.phase, "Running");
      assert.equal(s?.restarts, 1);
      assert.notEqual(s?.containerId, before.id);
    });
    assert.equal((await containersOf("n1")).filter((c) => c.running).length, 1);
  });

  test("backs off a container that keeps crashing and says so", async () => {
    const first = (await containersOf("n1"))[0];
    assert.ok(first);
    runtime.crash(first.id, { exitCode: 4 });
    const status = await eventually(async () => {
      const s = await podStatus("p1");
      assert.equal(s?.phase, "Failed");
      return s;
    });
    assert.match(status?.message ?? "", /back-off .*restarting failed container \(exit code 4\)/);
    await eventually(async () => assert.equal((await podStatus("p1"))?.phase, "Running"), 3000);
    assert.equal((await podStatus("p1"))?.restarts, 2);
  });

  test("reports a missing image in the pod's message, as ErrImagePull once refused twice in a row", async () => {
    await store.transaction(podCreateOps(pod("p2", "n1", "nowhere/missing:1")));
    await eventually(async () => {
      const s = await podStatus("p2");
      assert.match(s?.message ?? "", /image "nowhere\/missing:1" not found/);
      assert.equal(s?.reason, "ErrImagePull");
    });
    await store.transaction(podDeleteOps(pod("p2", "n1")));
  });

  test("a start the engine refuses is a RunContainerError once refused twice in a row", async () => {
    runtime.script({ command: ["/no/such/command"] }, { startError: "exec: no such file or directory" });
    await store.transaction(
      podCreateOps({ ...pod("p9", "n1"), template: { image: IMAGE, command: ["/no/such/command"] } }),
    );
    await eventually(async () => {
      const s = await podStatus("p9");
      assert.equal(s?.reason, "RunContainerError");
      assert.match(s?.message ?? "", /no such file or directory/);
    });
    await store.transaction(podDeleteOps(pod("p9", "n1")));
  });

  test("a restarted worker adopts its running containers instead of starting new ones", async () => {
    const worker = workers.find((w) => w.name === "n1");
    assert.ok(worker);
    await eventually(async () => assert.equal((await podStatus("p1"))?.phase, "Running"), 3000);
    const beforeRestart = (await containersOf("n1")).map((c) => c.id).sort();
    await worker.stop();
    workers.splice(workers.indexOf(worker), 1);
    await startWorker("n1", runtime.shared());
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual((await containersOf("n1")).map((c) => c.id).sort(), beforeRestart);
    assert.equal((await podStatus("p1"))?.phase, "Running");
  });

  test("removes the container when its pod is deleted or moves away", async () => {
    await store.transaction(podCreateOps(pod("p3", "n1")));
    await eventually(async () => assert.equal((await podStatus("p3"))?.phase, "Running"));
    const moved = await store.get<Pod>(keys.pod("p3"));
    assert.ok(moved);
    await store.transaction(podWriteOps({ ...moved.value, node: "n2" }, moved.version, "n1"));
    await store.transaction(podDeleteOps((await store.get<Pod>(keys.pod("p1")))?.value as Pod));
    await eventually(async () => assert.equal((await containersOf("n1")).length, 0));
  });
});
