import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ManualClock } from "../core/clock.js";
import type { Deployment, Pod, Revision, RolloutStatus } from "../core/types.js";
import type { EventInput } from "../events/event-recorder.js";
import { Informer } from "../machinery/informer.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import type { Lease, Store } from "../store/store.js";
import { eventually, leadAsTest } from "../store/testing/contract-support.js";
import { savePod } from "../store/testing/pod-test-support.js";
import { DeploymentReconciler, podsByDeployment } from "./deployment-reconciler.js";
import { deployment } from "./testing/test-fixtures.js";

const T0 = Date.parse("2024-06-01T12:00:00.000Z");

describe("rollouts: history, status and automatic rollback on the embedded store", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let deployments: Informer<Deployment>;
  let pods: Informer<Pod>;
  let lease: () => Lease | undefined;
  let clock: ManualClock;
  let events: EventInput[];
  let requeues: number[];
  let transactions: number;
  let reconciler: DeploymentReconciler;
  let counted: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-rollout-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    deployments = new Informer<Deployment>(store, keys.deployments, { resyncMs: 0 });
    pods = new Informer<Pod>(store, keys.pods, { resyncMs: 0, index: podsByDeployment });
    ({ lease } = await leadAsTest(store, keys.elections.controller));
    await Promise.all([deployments.start(), pods.start()]);
    clock = new ManualClock(T0);
    events = [];
    requeues = [];
    transactions = 0;
    counted = backend.connect();
    const transaction = counted.transaction.bind(counted);
    counted.transaction = async (ops, fence) => {
      transactions++;
      return transaction(ops, fence);
    };
    reconciler = new DeploymentReconciler({
      store: counted,
      deployments,
      pods,
      lease,
      clock,
      events: { record: (event) => events.push(event) },
      requeueAfter: (_name, ms) => requeues.push(ms),
    });
  });

  afterEach(() => {
    deployments.stop();
    pods.stop();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function put(d: Deployment): Promise<void> {
    await store.set(keys.deployment(d.name), d);
    await eventually(() => assert.equal(deployments.get(d.name)?.generation, d.generation));
  }

  async function storedPods(): Promise<Pod[]> {
    return (await store.list<Pod>(keys.pods)).map((entry) => entry.value);
  }

  /** The worker's part: pods of `hash` run and are ready, or (healthy false) run unhealthy. */
  async function report(hash: string, healthy = true): Promise<void> {
    const since = new Date(clock.now()).toISOString();
    for (const pod of await storedPods()) {
      if (pod.hash !== hash) continue;
      const status: Pod["status"] = healthy
        ? { phase: "Running", restarts: 0, ready: true, readySince: since, health: "healthy" }
        : { phase: "Running", restarts: 0, ready: false, health: "unhealthy" };
      await savePod(store, { ...pod, node: "n1", status });
    }
    const expected = await storedPods();
    await eventually(() =>
      assert.deepEqual(
        pods
          .list()
          .map((pod) => `${pod.id}:${pod.status.health}`)
          .sort(),
        expected.map((pod) => `${pod.id}:${pod.status.health}`).sort(),
      ),
    );
  }

  /** Reconciles until the pods settle, letting the caches catch up after each step. */
  async function settle(name: string, hash: string, healthy = true): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const outcome = await reconciler.reconcile(name);
      const stored = await storedPods();
      await eventually(() => assert.equal(pods.size, stored.length));
      await report(hash, healthy);
      if (outcome.created === 0 && outcome.deleted === 0) return;
    }
    assert.fail("did not settle");
  }

  async function rollout(name: string): Promise<RolloutStatus | undefined> {
    return (await store.get<RolloutStatus>(keys.rollout(name)))?.value;
  }

  async function history(name: string): Promise<Revision[]> {
    return (await store.list<Revision>(keys.revisions(name)))
      .map((entry) => entry.value)
      .sort((a, b) => a.revision - b.revision);
  }

  test("a new deployment gets revision 1 and a rollout that completes once its pods are available", async () => {
    const v1 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:1" });
    await put(v1);
    await reconciler.reconcile("web");
    assert.equal((await rollout("web"))?.state, "progressing");
    assert.deepEqual(
      (await history("web")).map((r) => [r.revision, r.hash, r.cause]),
      [[1, v1.hash, "created with image orchestra/hello:1"]],
    );
    assert.ok(requeues.length > 0, "the progress deadline is watched");
    await settle("web", v1.hash);
    await reconciler.reconcile("web");
    const done = await rollout("web");
    assert.equal(done?.state, "complete");
    assert.deepEqual(
      [
        done?.replicas,
        done?.updatedReplicas,
        done?.readyReplicas,
        done?.availableReplicas,
        done?.totalReplicas,
      ],
      [2, 2, 2, 2, 2],
    );
    assert.ok((await history("web"))[0]?.completedAt, "revision 1 is known good");
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.object]),
      [["Normal", "RolloutComplete", "deployment/web"]],
    );
    const before = transactions;
    await reconciler.reconcile("web");
    assert.equal(transactions, before, "a reconcile with nothing to change writes nothing");
  });

  test("an update whose new pods turn unhealthy is rolled back to the last good revision", async () => {
    const v1 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:1" });
    await put(v1);
    await settle("web", v1.hash);
    await reconciler.reconcile("web");
    assert.equal((await rollout("web"))?.state, "complete");

    const v2 = {
      ...deployment({ name: "web", replicas: 2, image: "orchestra/hello:2", env: { BROKEN: "1" } }),
      generation: 2,
      strategy: { maxSurge: 1, maxUnavailable: 0 },
    };
    await put(v2);
    await reconciler.reconcile("web");
    assert.equal((await rollout("web"))?.state, "progressing");
    await eventually(async () => assert.equal(pods.size, 3));
    await report(v2.hash, false);
    await reconciler.reconcile("web");
    // At once again, before the cache shows the rollback: the older spec it still holds is not acted on.
    await reconciler.reconcile("web");
    assert.equal((await storedPods()).filter((pod) => pod.hash === v2.hash).length, 1);
    assert.equal((await rollout("web"))?.state, "rolled-back");

    const stored = (await store.get<Deployment>(keys.deployment("web")))?.value;
    assert.equal(stored?.hash, v1.hash, "the template of revision 1 is back");
    assert.equal(stored?.image, "orchestra/hello:1");
    assert.equal(stored?.env, undefined, "fields the old template lacked are gone");
    assert.equal(stored?.generation, 3);
    assert.deepEqual(stored?.strategy, v2.strategy, "strategy and replicas stay");
    const status = await rollout("web");
    assert.equal(status?.state, "rolled-back");
    assert.match(
      status?.message ?? "",
      /revision 2 failed: pod web-\w+ is unhealthy.*rolled back to revision 1/,
    );
    assert.deepEqual(
      (await history("web")).map((r) => [r.revision, r.hash, r.cause]),
      [
        [2, v2.hash, "image orchestra/hello:1 -> orchestra/hello:2, env changed"],
        [3, v1.hash, "rollback to revision 1: revision 2 failed"],
      ],
    );
    const warning = events.find((e) => e.reason === "RolledBack");
    assert.equal(warning?.type, "Warning");
    assert.equal(warning?.message, status?.message);
    // Old pods never went: maxUnavailable 0 and the new pod was never available.
    assert.equal((await storedPods()).filter((pod) => pod.hash === v1.hash).length, 2);

    // Once the cache shows the rollback, the broken pod goes and the state stays rolled-back with its reason.
    await eventually(() => assert.equal(deployments.get("web")?.generation, 3));
    await settle("web", v1.hash);
    await reconciler.reconcile("web");
    assert.ok((await storedPods()).every((pod) => pod.hash === v1.hash));
    assert.equal((await storedPods()).length, 2);
    assert.equal((await rollout("web"))?.state, "rolled-back");
    assert.equal((await rollout("web"))?.availableReplicas, 2);
  });

  test("no progress within progressDeadlineSeconds fails the rollout; without autoRollback it stays failed", async () => {
    const strategy = { progressDeadlineSeconds: 30, autoRollback: false, maxSurge: 1, maxUnavailable: 0 };
    const v1 = deployment({ name: "web", replicas: 1, image: "orchestra/hello:1", strategy });
    await put(v1);
    await settle("web", v1.hash);
    await reconciler.reconcile("web");
    const v2 = {
      ...deployment({ name: "web", replicas: 1, image: "orchestra/hello:2", strategy }),
      generation: 2,
    };
    await put(v2);
    await reconciler.reconcile("web");
    assert.equal((await rollout("web"))?.state, "progressing");
    assert.ok(
      requeues.some((ms) => ms > 29_000 && ms <= 30_100),
      `requeued at the deadline: ${requeues}`,
    );
    clock.advance(29_000);
    await reconciler.reconcile("web");
    assert.equal((await rollout("web"))?.state, "progressing");
    clock.advance(1_000);
    await reconciler.reconcile("web");
    const status = await rollout("web");
    assert.equal(status?.state, "failed");
    assert.match(status?.message ?? "", /no progress for 30s.*automatic rollback is off/);
    assert.equal(
      (await store.get<Deployment>(keys.deployment("web")))?.value.hash,
      v2.hash,
      "not rolled back",
    );
    assert.equal(events.at(-1)?.reason, "RolloutFailed");
  });

  test("a template seen before becomes the newest revision; deleting the deployment clears its history", async () => {
    const v1 = deployment({ name: "web", replicas: 1, image: "orchestra/hello:1" });
    const v2 = { ...deployment({ name: "web", replicas: 1, image: "orchestra/hello:2" }), generation: 2 };
    await put(v1);
    await reconciler.reconcile("web");
    await put(v2);
    await reconciler.reconcile("web");
    await put({ ...v1, generation: 3 });
    await reconciler.reconcile("web");
    assert.deepEqual(
      (await history("web")).map((r) => [r.revision, r.hash, r.cause]),
      [
        [2, v2.hash, "image orchestra/hello:1 -> orchestra/hello:2"],
        [3, v1.hash, "rollback to revision 1"],
      ],
    );
    assert.equal((await rollout("web"))?.revision, 3);

    await store.delete(keys.deployment("web"));
    await eventually(() => assert.equal(deployments.get("web"), undefined));
    await reconciler.reconcile("web");
    assert.deepEqual(await history("web"), []);
    assert.equal(await rollout("web"), undefined);
  });

  test("a removed ready pod first leaves DNS (not ready, terminating) and is deleted after the drain delay", async () => {
    const draining = new DeploymentReconciler({
      store: counted,
      deployments,
      pods,
      lease,
      clock,
      drainMs: 5_000,
      requeueAfter: (_name, ms) => requeues.push(ms),
    });
    const strategy = { maxSurge: 1, maxUnavailable: 0 };
    const v1 = deployment({ name: "web", replicas: 1, image: "orchestra/hello:1", strategy });
    await put(v1);
    await draining.reconcile("web");
    await eventually(() => assert.equal(pods.size, 1));
    await report(v1.hash);
    const v2 = {
      ...deployment({ name: "web", replicas: 1, image: "orchestra/hello:2", strategy }),
      generation: 2,
    };
    await put(v2);
    await draining.reconcile("web");
    await eventually(() => assert.equal(pods.size, 2));
    await report(v2.hash);
    requeues.length = 0;
    assert.deepEqual(await draining.reconcile("web"), { created: 0, deleted: 0 });
    const old = (await storedPods()).find((pod) => pod.hash === v1.hash);
    assert.ok(old?.terminatingSince, "the old pod is marked terminating");
    assert.equal(old?.status.ready, false, "and not ready, so DNS leaves it out");
    assert.ok(
      requeues.some((ms) => ms >= 5_000 && ms < 5_100),
      `a reconcile is asked for after the delay: ${requeues}`,
    );
    assert.equal((await rollout("web"))?.state, "progressing", "complete only once the old pod is gone");

    await eventually(() => assert.ok(pods.list().some((pod) => pod.terminatingSince)));
    assert.deepEqual(
      await draining.reconcile("web"),
      { created: 0, deleted: 0 },
      "nothing more before the delay",
    );
    clock.advance(5_000);
    assert.deepEqual(await draining.reconcile("web"), { created: 0, deleted: 1 });
    await eventually(() => assert.equal(pods.size, 1));
    await draining.reconcile("web");
    assert.equal((await rollout("web"))?.state, "complete");
  });
});
