import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FencedError } from "../core/errors.js";
import type { Deployment, Pod } from "../core/types.js";
import { Informer } from "../machinery/informer.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Candidacy, Lease, Store } from "../store/store.js";
import { eventually, leadAsTest } from "../store/testing/contract-support.js";
import { savePod } from "../store/testing/pod-test-support.js";
import { DeploymentReconciler, podsByDeployment } from "./deployment-reconciler.js";
import { deployment, podOf } from "./testing/test-fixtures.js";

describe("DeploymentReconciler on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let deployments: Informer<Deployment>;
  let pods: Informer<Pod>;
  let lease: () => Lease | undefined;
  let candidacy: Candidacy;
  let reconciler: DeploymentReconciler;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-controller-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    deployments = new Informer<Deployment>(store, keys.deployments, { resyncMs: 0 });
    pods = new Informer<Pod>(store, keys.pods, { resyncMs: 0, index: podsByDeployment });
    ({ lease, candidacy } = await leadAsTest(store, keys.elections.controller));
    reconciler = new DeploymentReconciler({ store, deployments, pods, lease });
  });

  afterEach(() => {
    deployments.stop();
    pods.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function seed(objects: { deployments?: Deployment[]; pods?: Pod[] }): Promise<void> {
    for (const d of objects.deployments ?? []) await store.set(keys.deployment(d.name), d);
    for (const p of objects.pods ?? []) await savePod(store, p);
    await Promise.all([deployments.start(), pods.start()]);
    await deployments.resync();
    await pods.resync();
  }

  async function storedPods(): Promise<Pod[]> {
    return (await store.list<Pod>(keys.pods)).map((entry) => entry.value);
  }

  test("creates replicas pods of the current revision, once even before the cache catches up", async () => {
    const web = deployment({ name: "web", replicas: 3, image: "orchestra/hello:1" });
    await seed({ deployments: [web] });
    assert.deepEqual(await reconciler.reconcile("web"), { created: 3, deleted: 0 });
    // Again at once: the informer has not seen the creates yet, and still nothing is created twice.
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 0 });
    const created = await storedPods();
    assert.equal(created.length, 3);
    for (const pod of created) {
      assert.equal(pod.deployment, "web");
      assert.equal(pod.hash, web.hash);
      assert.equal(pod.template.image, "orchestra/hello:1");
      assert.deepEqual(pod.status, { phase: "Pending", restarts: 0 });
      assert.match(pod.name, /^web-[a-z0-9]{5}$/);
    }
    await eventually(() => assert.equal(pods.size, 3));
    const versions = (await store.list(keys.pods)).map((entry) => `${entry.key}@${entry.version}`);
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 0 });
    assert.deepEqual(
      (await store.list(keys.pods)).map((entry) => `${entry.key}@${entry.version}`),
      versions,
      "a second reconcile writes nothing",
    );
  });

  test("scales down by deleting unscheduled, then not running, then the newest pods", async () => {
    const web = deployment({ name: "web", replicas: 2 });
    const api = deployment({ name: "api", replicas: 1 });
    await seed({
      deployments: [web, api],
      pods: [
        podOf(web, "aaaaaaaaaa", { node: "n1", phase: "Running", createdAt: "2024-01-01T00:00:00.000Z" }),
        podOf(web, "bbbbbbbbbb", { node: "n1", phase: "Running", createdAt: "2024-01-02T00:00:00.000Z" }),
        podOf(web, "cccccccccc", { node: "n2", phase: "Starting" }),
        podOf(web, "dddddddddd"),
        podOf(api, "eeeeeeeeee", { node: "n1", phase: "Running" }),
      ],
    });
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 2 });
    assert.deepEqual(
      (await storedPods()).map((pod) => pod.id),
      ["aaaaaaaaaa", "bbbbbbbbbb", "eeeeeeeeee"],
    );
    await eventually(() => assert.equal(pods.size, 3));
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 0 });
    await store.set(keys.deployment("web"), { ...web, replicas: 1 });
    await eventually(() => assert.equal(deployments.get("web")?.replicas, 1));
    await reconciler.reconcile("web");
    assert.deepEqual(
      (await storedPods()).map((pod) => pod.id),
      ["aaaaaaaaaa", "eeeeeeeeee"],
      "of two running pods the newer goes",
    );
  });

  test("a new template with a budget of all pods replaces them in one step; deleting the deployment removes all of its pods", async () => {
    const v1 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:1" });
    const other = deployment({ name: "other", replicas: 1 });
    await seed({
      deployments: [v1, other],
      pods: [
        podOf(v1, "aaaaaaaaaa", { node: "n1", phase: "Running" }),
        podOf(v1, "bbbbbbbbbb", { node: "n1", phase: "Running" }),
        podOf(other, "cccccccccc", { node: "n1", phase: "Running" }),
      ],
    });
    const v2 = deployment({
      name: "web",
      replicas: 2,
      image: "orchestra/hello:2",
      strategy: { maxSurge: 2, maxUnavailable: 2 },
    });
    await store.set(keys.deployment("web"), v2);
    await eventually(() => assert.equal(deployments.get("web")?.hash, v2.hash));
    assert.deepEqual(await reconciler.reconcile("web"), { created: 2, deleted: 2 });
    const web = (await storedPods()).filter((pod) => pod.deployment === "web");
    assert.equal(web.length, 2);
    assert.ok(web.every((pod) => pod.hash === v2.hash && pod.template.image === "orchestra/hello:2"));

    await store.delete(keys.deployment("web"));
    await eventually(() => assert.equal(deployments.get("web"), undefined));
    await eventually(() => assert.equal(pods.byIndex("web").length, 2));
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 2 });
    assert.deepEqual(
      (await storedPods()).map((pod) => pod.id),
      ["cccccccccc"],
      "other deployments are untouched",
    );
  });

  test("large changes are written in several transactions and all land", async () => {
    const big = deployment({ name: "big", replicas: 250 });
    await seed({ deployments: [big] });
    const transaction = store.transaction.bind(store);
    const sizes: number[] = [];
    store.transaction = async (ops, fence) => {
      sizes.push(ops.length);
      return transaction(ops, fence);
    };
    assert.deepEqual(await reconciler.reconcile("big"), { created: 250, deleted: 0 });
    // Then one small transaction: the first revision and the rollout status.
    assert.deepEqual(sizes, [100, 100, 50, 2]);
    assert.equal((await storedPods()).length, 250);
  });

  test("a deposed leader's writes are fenced and change nothing; without a lease nothing is written", async () => {
    const web = deployment({ name: "web", replicas: 2 });
    await seed({ deployments: [web] });
    const stale = lease() as Lease;
    await candidacy.resign();
    assert.equal(lease(), undefined);
    assert.deepEqual(await reconciler.reconcile("web"), { created: 0, deleted: 0 });
    const fenced = new DeploymentReconciler({ store, deployments, pods, lease: () => stale });
    await assert.rejects(fenced.reconcile("web"), FencedError);
    assert.deepEqual(await storedPods(), []);
    // The failed write is not expected to show up: a new leader's reconcile creates the pods.
    assert.equal(fenced.expectations.apply("web", []).length, 0);
  });
});
