import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { Pod } from "../core/types.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { removePod, savePod } from "../store/testing/pod-test-support.js";
import { Controller } from "./controller.js";
import { deployment } from "./testing/test-fixtures.js";

describe("Controller on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  const controllers: Controller[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-controller-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
  });

  afterEach(async () => {
    for (const controller of controllers.splice(0)) await controller.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A controller on its own client; `writes` counts the transactions it sends. */
  async function startController(candidate: string) {
    const client = backend.connect();
    const counter = { writes: 0 };
    const transaction = client.transaction.bind(client);
    client.transaction = async (ops, lease) => {
      counter.writes++;
      return transaction(ops, lease);
    };
    const controller = new Controller(client, { candidate, resyncMs: 0, workers: 2, drainMs: 50 });
    controllers.push(controller);
    await controller.start();
    return { controller, counter, client };
  }

  async function podsOf(name: string): Promise<Pod[]> {
    return (await store.list<Pod>(keys.pods)).map((e) => e.value).filter((pod) => pod.deployment === name);
  }

  /** What a worker reports once a pod's container runs (and it has no health check). */
  async function markReady(pods: Pod[]): Promise<void> {
    for (const pod of pods) {
      if (pod.status.ready) continue;
      const status = {
        ...pod.status,
        phase: "Running" as const,
        ready: true,
        readySince: new Date().toISOString(),
      };
      await savePod(store, { ...pod, node: "n1", status }).catch(() => undefined); // may be gone
    }
  }

  test("follows a deployment through create, scale up and down, new image and delete", async () => {
    const { controller } = await startController("c1");
    await eventually(() => assert.equal(controller.leading, true));
    const v1 = deployment({ name: "web", replicas: 3, image: "orchestra/hello:1" });
    await store.set(keys.deployment("web"), v1);
    await eventually(async () => assert.equal((await podsOf("web")).length, 3));

    await store.set(keys.deployment("web"), { ...v1, replicas: 5 });
    await eventually(async () => assert.equal((await podsOf("web")).length, 5));
    await store.set(keys.deployment("web"), { ...v1, replicas: 1 });
    await eventually(async () => assert.equal((await podsOf("web")).length, 1));

    // A new image rolls: old pods go only as new ones become ready, which a worker would report.
    const v2 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:2" });
    await store.set(keys.deployment("web"), v2);
    await eventually(async () => {
      await markReady(await podsOf("web"));
      const pods = await podsOf("web");
      assert.equal(pods.length, 2);
      assert.ok(pods.every((pod) => pod.hash === v2.hash && pod.template.image === "orchestra/hello:2"));
    });

    await store.delete(keys.deployment("web"));
    await eventually(async () => assert.equal((await podsOf("web")).length, 0));
    await controller.whenIdle();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal((await store.list(keys.pods)).length, 0, "converged, nothing created afterwards");
  });

  test("a deleted pod is replaced", async () => {
    const { controller } = await startController("c1");
    await eventually(() => assert.equal(controller.leading, true));
    await store.set(keys.deployment("api"), deployment({ name: "api", replicas: 2 }));
    await eventually(async () => assert.equal((await podsOf("api")).length, 2));
    const [victim] = await podsOf("api");
    await removePod(store, (victim as Pod).id);
    await eventually(async () => {
      const pods = await podsOf("api");
      assert.equal(pods.length, 2);
      assert.ok(!pods.some((pod) => pod.id === victim?.id));
    });
  });

  test("pods of a deployment deleted while no controller ran are removed at start", async () => {
    await store.set(keys.pod("aaaaaaaaaa"), {
      id: "aaaaaaaaaa",
      name: "gone-abcde",
      deployment: "gone",
      hash: "0123456789",
      template: { image: "x" },
      status: { phase: "Running", restarts: 0 },
      createdAt: "2024-01-01T00:00:00.000Z",
      updatedAt: "2024-01-01T00:00:00.000Z",
    } satisfies Pod);
    await startController("c1");
    await eventually(async () => assert.equal((await store.list(keys.pods)).length, 0));
  });

  test("a bound pod stored without its assignment (an older store) gets one, and can then be deleted", async () => {
    const old: Pod = {
      id: "bbbbbbbbbb",
      name: "legacy-abcde",
      deployment: "legacy",
      hash: "0123456789",
      template: { image: "x" },
      node: "n1",
      status: { phase: "Running", restarts: 0 },
      createdAt: "2024-01-01T00:00:00.000Z",
      updatedAt: "2024-01-01T00:00:00.000Z",
    };
    await store.set(keys.pod(old.id), old); // as an earlier version wrote bound pods: no assignment
    await startController("c1");
    // Its deployment does not exist: the controller deletes the pod, which needs the assignment in place.
    await eventually(async () => assert.equal(await store.get(keys.pod(old.id)), undefined));
    assert.equal(await store.get(keys.assignment("n1", old.id)), undefined, "removed with the pod");
  });

  test("a standby controller writes nothing while the leader leads, and takes over when it stops", async () => {
    const first = await startController("c1");
    await eventually(() => assert.equal(first.controller.leading, true));
    const second = await startController("c2");
    assert.equal(second.controller.leading, false);
    await store.set(keys.deployment("web"), deployment({ name: "web", replicas: 4 }));
    await eventually(async () => assert.equal((await podsOf("web")).length, 4));
    await first.controller.whenIdle();
    assert.ok(first.counter.writes > 0);
    assert.equal(second.counter.writes, 0);

    await first.controller.stop();
    await eventually(() => assert.equal(second.controller.leading, true));
    await store.set(keys.deployment("web"), deployment({ name: "web", replicas: 6 }));
    await eventually(async () => assert.equal((await podsOf("web")).length, 6));
    assert.ok(second.counter.writes > 0);
  });

  test("a leader whose session expires stops writing; the standby converges the deployment", async () => {
    const first = await startController("c1");
    await eventually(() => assert.equal(first.controller.leading, true));
    const second = await startController("c2");
    backend.expireSession(first.client);
    await eventually(() => assert.equal(second.controller.leading, true));
    assert.equal(first.controller.leading, false);
    const writesBefore = first.counter.writes;
    await store.set(keys.deployment("web"), deployment({ name: "web", replicas: 3 }));
    await eventually(async () => assert.equal((await podsOf("web")).length, 3));
    await second.controller.whenIdle();
    assert.equal(first.counter.writes, writesBefore, "the deposed leader made no write");
  });
});
