import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { Deployment, Pod, RolloutStrategy } from "../core/types.js";
import { newPod } from "./pod-factory.js";
import { budgetOf, failingPodReason, isComplete, planRollout, type RolloutPlan } from "./rollout-plan.js";
import { deployment, podOf } from "./testing/test-fixtures.js";

const T0 = Date.parse("2024-01-01T00:00:00.000Z");

/** A pod as a worker reports it once its container runs and is ready. */
function ready(pod: Pod, since = T0): Pod {
  return {
    ...pod,
    node: "n1",
    status: { ...pod.status, phase: "Running", ready: true, readySince: new Date(since).toISOString() },
  };
}

function oldPods(owner: Deployment, count: number): Pod[] {
  return Array.from({ length: count }, (_, i) => ready(podOf(owner, `old${i}`.padEnd(10, "0"))));
}

/** The pods once `plan` is written: deletions gone, new Pending pods added. */
function apply(target: Deployment, pods: Pod[], plan: RolloutPlan): Pod[] {
  const kept = pods.filter((pod) => !plan.delete.includes(pod));
  const names = new Set(kept.map((pod) => pod.name));
  const created = Array.from({ length: plan.create }, () =>
    newPod(target, names, new Date(T0).toISOString()),
  );
  return [...kept, ...created];
}

function summary(target: Deployment, plan: RolloutPlan) {
  return {
    create: plan.create,
    deleteOld: plan.delete.filter((pod) => pod.hash !== target.hash).length,
    deleteNew: plan.delete.filter((pod) => pod.hash === target.hash).length,
  };
}

describe("planRollout", () => {
  const v1 = deployment({ name: "web", replicas: 4, image: "orchestra/hello:1" });

  test("4 replicas, maxSurge 1, maxUnavailable 0: one new pod at a time, an old one goes once it is ready", () => {
    const v2 = deployment({
      name: "web",
      replicas: 4,
      image: "orchestra/hello:2",
      strategy: { maxSurge: 1, maxUnavailable: 0 },
    });
    let pods = oldPods(v1, 4);
    const steps: ReturnType<typeof summary>[] = [];
    for (let i = 0; i < 12; i++) {
      const plan = planRollout(v2, pods, T0);
      steps.push(summary(v2, plan));
      pods = apply(v2, pods, plan);
      assert.ok(pods.length <= 5, `step ${i}: ${pods.length} pods, more than replicas + maxSurge`);
      const available = pods.filter((pod) => pod.status.ready).length;
      assert.ok(available >= 4, `step ${i}: only ${available} available`);
      // Planning again before anything became ready changes nothing (idempotent).
      assert.deepEqual(summary(v2, planRollout(v2, pods, T0)), { create: 0, deleteOld: 0, deleteNew: 0 });
      if (isComplete(plan.counts)) break;
      // The worker: the new pod becomes ready.
      pods = pods.map((pod) => (pod.hash === v2.hash && !pod.status.ready ? ready(pod) : pod));
    }
    assert.deepEqual(steps, [
      { create: 1, deleteOld: 0, deleteNew: 0 },
      { create: 1, deleteOld: 1, deleteNew: 0 },
      { create: 1, deleteOld: 1, deleteNew: 0 },
      { create: 1, deleteOld: 1, deleteNew: 0 },
      { create: 0, deleteOld: 1, deleteNew: 0 },
    ]);
    assert.equal(pods.length, 4);
    assert.ok(pods.every((pod) => pod.hash === v2.hash));
  });

  test("maxSurge 0, maxUnavailable 1: an old pod goes first, then its replacement comes", () => {
    const v2 = deployment({
      name: "web",
      replicas: 4,
      image: "orchestra/hello:2",
      strategy: { maxSurge: 0, maxUnavailable: 1 },
    });
    const plan = planRollout(v2, oldPods(v1, 4), T0);
    assert.deepEqual(summary(v2, plan), { create: 1, deleteOld: 1, deleteNew: 0 });
  });

  test("new pods that never become ready leave every old pod in place", () => {
    const v2 = deployment({ name: "web", replicas: 4, image: "orchestra/hello:2" });
    let pods = oldPods(v1, 4);
    for (let i = 0; i < 5; i++) pods = apply(v2, pods, planRollout(v2, pods, T0));
    // Default 25%/25% of 4: one surge, one unavailable: one old pod goes, two new pods wait to be ready.
    assert.equal(pods.filter((pod) => pod.hash === v1.hash).length, 3);
    assert.equal(pods.filter((pod) => pod.hash === v2.hash).length, 2);
  });

  test("minReadySeconds: a ready pod counts as available only after it, and the plan says when", () => {
    const v2 = deployment({
      name: "web",
      replicas: 1,
      image: "orchestra/hello:2",
      strategy: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 10 },
    });
    const fresh = ready(podOf(v2, "new0000000"), T0 + 5_000);
    const pods = [ready(podOf(v1, "old0000000")), fresh];
    const early = planRollout(v2, pods, T0 + 6_000);
    assert.deepEqual(summary(v2, early), { create: 0, deleteOld: 0, deleteNew: 0 });
    assert.equal(early.nextAvailableAt, T0 + 15_000);
    const later = planRollout(v2, pods, T0 + 15_000);
    assert.deepEqual(summary(v2, later), { create: 0, deleteOld: 1, deleteNew: 0 });
    assert.ok(isComplete(later.counts));
  });

  test("a scale-only change does not touch pods of the current revision beyond the count", () => {
    const pods = oldPods(v1, 4);
    const plan = planRollout({ ...v1, replicas: 6 }, pods, T0);
    assert.deepEqual(summary(v1, plan), { create: 2, deleteOld: 0, deleteNew: 0 });
  });

  test("unready old pods are removed first: they cost no availability", () => {
    const v2 = deployment({
      name: "web",
      replicas: 3,
      image: "orchestra/hello:2",
      strategy: { maxSurge: 1, maxUnavailable: 0 },
    });
    const broken = { ...podOf(v1, "broken0000"), node: "n1" };
    const pods = [...oldPods(v1, 2), broken, ready(podOf(v2, "new0000000"))];
    const plan = planRollout(v2, pods, T0);
    assert.deepEqual(
      plan.delete.map((pod) => pod.id),
      ["broken0000"],
    );
  });

  test("failingPodReason names an unhealthy or crash-looping new pod, never an old one", () => {
    const v2 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:2" });
    const sick = podOf(v2, "sick000000");
    sick.status = { phase: "Running", restarts: 0, health: "unhealthy", ready: false };
    const oldSick = podOf(v1, "old0000000");
    oldSick.status = { phase: "Running", restarts: 9, health: "unhealthy" };
    assert.equal(failingPodReason(v2, [oldSick]), undefined);
    assert.match(failingPodReason(v2, [oldSick, sick]) ?? "", /sick0.* unhealthy/);
    const crashing = podOf(v2, "crash00000");
    crashing.status = { phase: "Starting", restarts: 5 };
    assert.match(failingPodReason(v2, [crashing]) ?? "", /crashed 5 times \(restart limit 5\)/);
  });

  test("failingPodReason: a start the engine refused for good fails the rollout; causes that may pass do not", () => {
    const v2 = deployment({ name: "web", replicas: 2, image: "orchestra/hello:2" });
    const withStatus = (status: Partial<Pod["status"]>): Pod => {
      const pod = podOf(v2, "new0000000", { node: "n1" });
      pod.status = { ...pod.status, ...status };
      return pod;
    };
    const certain: [string, Partial<Pod["status"]>][] = [
      ["image not pullable", { phase: "Pending", reason: "ErrImagePull", message: "no such host" }],
      ["create refused", { phase: "Failed", reason: "CreateContainerError", message: "bad memory" }],
      [
        "command not found",
        { phase: "Failed", reason: "RunContainerError", message: "executable file not found" },
      ],
      ["crash loop past the limit", { phase: "Failed", reason: "CrashLoopBackOff", restarts: 5 }],
      ["health check failing", { phase: "Running", health: "unhealthy" }],
    ];
    for (const [cause, status] of certain) {
      assert.match(failingPodReason(v2, [withStatus(status)]) ?? "", /^pod web-new00 /, cause);
    }
    assert.equal(
      failingPodReason(v2, [withStatus(certain[0]?.[1] ?? {})]),
      "pod web-new00 cannot start: ErrImagePull: no such host",
    );
    const transient: [string, Partial<Pod["status"]>][] = [
      ["slow pull in progress", { phase: "Pending" }],
      ["registry 5xx or time-out, or a first refusal", { phase: "Pending", reason: "ImagePullBackOff" }],
      ["create or start that may pass", { phase: "Failed", reason: "ContainerStartBackOff" }],
      ["crash loop below the limit", { phase: "Failed", reason: "CrashLoopBackOff", restarts: 2 }],
    ];
    for (const [cause, status] of transient) {
      assert.equal(failingPodReason(v2, [withStatus(status)]), undefined, cause);
    }
    // An old pod that cannot start says nothing about the new revision.
    const old = podOf(v1, "old0000000");
    old.status = { phase: "Pending", reason: "ErrImagePull", restarts: 0 };
    assert.equal(failingPodReason(v2, [old]), undefined);
  });

  test("any budget and any order of readiness: pods stay within budget and the rollout completes", () => {
    const budgetValue = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("0%", "25%", "50%", "100%"));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        budgetValue,
        budgetValue,
        fc.infiniteStream(fc.boolean()),
        (before, replicas, maxSurge, maxUnavailable, luck) => {
          const strategy: Partial<RolloutStrategy> = { maxSurge, maxUnavailable };
          const from = deployment({ name: "web", replicas: before, image: "orchestra/hello:1" });
          const to = deployment({ name: "web", replicas, image: "orchestra/hello:2", strategy });
          const budget = budgetOf(to);
          let pods = oldPods(from, before);
          const luckIterator = luck[Symbol.iterator]();
          for (let step = 0; step < 50; step++) {
            const availableBefore = pods.filter((pod) => pod.status.ready).length;
            const plan = planRollout(to, pods, T0);
            pods = apply(to, pods, plan);
            const available = pods.filter((pod) => pod.status.ready).length;
            assert.ok(pods.length <= Math.max(before, replicas + budget.maxSurge), "total within budget");
            assert.ok(
              available >= Math.min(availableBefore, replicas - budget.maxUnavailable),
              "availability within budget",
            );
            if (isComplete(plan.counts)) return;
            // Some new pods become ready (all of them, eventually).
            pods = pods.map((pod) =>
              pod.status.ready || (step < 20 && luckIterator.next().value === false) ? pod : ready(pod),
            );
          }
          assert.fail("the rollout did not complete in 50 steps");
        },
      ),
      { numRuns: 300 },
    );
  });
});
