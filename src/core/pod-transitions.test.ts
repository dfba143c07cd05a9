import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  bind,
  containerRunning,
  containerStarted,
  crashLoopBackOff,
  imageMissing,
  markTerminating,
  markUnschedulable,
  moveAway,
  startFailed,
  unbind,
  withReadiness,
} from "./pod-transitions.js";
import type { Pod, PodStatus } from "./types.js";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const check = { exec: ["true"], intervalSeconds: 5, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 0 };

function pod(extra: Partial<Pod> = {}): Pod {
  return {
    id: "p1",
    name: "web-p1",
    deployment: "web",
    hash: "h",
    template: { image: "orchestra/hello" },
    status: { phase: "Pending", restarts: 0 },
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

/** A pod whose container runs on n1, ready. */
function running(extra: Partial<Pod> = {}): Pod {
  return pod({
    node: "n1",
    status: {
      phase: "Running",
      ready: true,
      readySince: T0,
      health: "healthy",
      containerId: "c1",
      ip: "10.0.0.2",
      startedAt: T0,
      reason: "z",
      restarts: 3,
    },
    ...extra,
  });
}

describe("pod transitions of the control plane", () => {
  test("bind: the node set, still Pending, an unschedulable reason and message cleared", () => {
    const bound = bind(
      pod({
        status: { phase: "Pending", restarts: 0, reason: "Unschedulable", message: "0/1 nodes available" },
      }),
      "n1",
      T1,
    );
    assert.equal(bound.node, "n1");
    assert.deepEqual(bound.status, { phase: "Pending", restarts: 0 });
    assert.equal(bound.updatedAt, T1);
  });

  test("markUnschedulable: reason Unschedulable, why no node fits as the message", () => {
    const marked = markUnschedulable(pod(), "no ready nodes", T1);
    assert.deepEqual(marked.status, {
      phase: "Pending",
      restarts: 0,
      reason: "Unschedulable",
      message: "no ready nodes",
    });
    assert.equal(marked.node, undefined);
  });

  test("unbind: no node, Pending and not ready, no trace of the old container; restarts and avoidNodes kept", () => {
    const moved = unbind(running({ avoidNodes: ["n0"] }), "node n1 lost", T1);
    assert.equal("node" in moved, false);
    assert.deepEqual(moved.avoidNodes, ["n0"]);
    assert.deepEqual(moved.status, { phase: "Pending", ready: false, restarts: 3, message: "node n1 lost" });
    assert.equal(moved.updatedAt, T1);
  });

  test("moveAway: unbound, and the node it leaves added once to avoidNodes", () => {
    const moved = moveAway(running({ avoidNodes: ["n0"] }), "n1", "crashed 3 times", T1);
    assert.equal("node" in moved, false);
    assert.deepEqual(moved.avoidNodes, ["n0", "n1"]);
    assert.deepEqual(moved.status, {
      phase: "Pending",
      ready: false,
      restarts: 3,
      message: "crashed 3 times",
    });
    assert.deepEqual(moveAway(running({ avoidNodes: ["n1"] }), "n1", "again", T1).avoidNodes, ["n1"]);
  });

  test("markTerminating: terminating since now, not ready, the container left as it is", () => {
    const before = running();
    const marked = markTerminating(before, T1);
    assert.equal(marked.terminatingSince, T1);
    assert.equal(marked.node, "n1");
    const { readySince: _gone, ...kept } = before.status;
    assert.deepEqual(marked.status, { ...kept, ready: false, message: "terminating" });
  });
});

describe("pod status changes of the worker", () => {
  const plain = pod({ node: "n1" });
  const checked = pod({ node: "n1", template: { image: "a", healthCheck: check } });

  test("withReadiness: without a health check a running container is ready", () => {
    const status = withReadiness({ phase: "Running", restarts: 0 }, plain, true, T0);
    assert.deepEqual([status.ready, status.readySince], [true, T0]);
    assert.equal(withReadiness(status, plain, false, T1).ready, false);
  });

  test("withReadiness: with a health check only a healthy running container is ready", () => {
    const base: PodStatus = { phase: "Running", restarts: 0 };
    assert.equal(withReadiness({ ...base, health: "starting" }, checked, true, T0).ready, false);
    assert.equal(withReadiness({ ...base, health: "unhealthy" }, checked, true, T0).ready, false);
    assert.equal(withReadiness({ ...base, health: "healthy" }, checked, false, T0).ready, false);
    assert.equal(withReadiness({ ...base, health: "healthy" }, checked, true, T0).ready, true);
    assert.equal(
      withReadiness(base, { ...plain, terminatingSince: T0 }, true, T0).ready,
      false,
      "terminating",
    );
  });

  test("withReadiness: readySince keeps the moment the pod became ready, and goes when it is not", () => {
    const ready = withReadiness({ phase: "Running", restarts: 0, health: "healthy" }, checked, true, T0);
    assert.equal(withReadiness(ready, checked, true, T1).readySince, T0);
    const lost = withReadiness({ ...ready, health: "unhealthy" }, checked, true, T1);
    assert.equal(lost.readySince, undefined);
    assert.equal(withReadiness({ ...lost, health: "healthy" }, checked, true, T1).readySince, T1);
  });

  test("containerStarted: Running on the new container, message and reason cleared, restarts counted", () => {
    const before: PodStatus = {
      phase: "Failed",
      reason: "CrashLoopBackOff",
      message: "back-off",
      restarts: 2,
      startedAt: T0,
    };
    const status = containerStarted(before, plain, { id: "c2", ip: "10.0.0.3" }, { restarts: 1, now: T1 });
    assert.deepEqual(status, {
      phase: "Running",
      ready: true,
      readySince: T1,
      health: undefined,
      message: undefined,
      reason: undefined,
      containerId: "c2",
      ip: "10.0.0.3",
      startedAt: T1,
      restarts: 3,
    });
    const checkedStart = containerStarted(running().status, checked, { id: "c2" }, { restarts: 0, now: T1 });
    assert.deepEqual([checkedStart.health, checkedStart.ready], ["starting", false], "its check starts over");
  });

  test("containerRunning: the container found running, with the check's verdict; restarts untouched", () => {
    const adopted = containerRunning(
      { phase: "Running", restarts: 1, startedAt: T0 },
      checked,
      { id: "c1", ip: "10.0.0.2" },
      { health: "starting", now: T1 },
    );
    assert.deepEqual(
      [adopted.ready, adopted.health, adopted.startedAt, adopted.restarts, adopted.containerId],
      [false, "starting", T0, 1, "c1"],
    );
    const healthy = containerRunning(
      adopted,
      checked,
      { id: "c1", startedAt: T1 },
      { health: "healthy", now: T1 },
    );
    assert.deepEqual([healthy.ready, healthy.readySince, healthy.startedAt], [true, T1, T1]);
  });

  test("crashLoopBackOff: Failed while waiting out the back-off, without container, not ready", () => {
    const status = crashLoopBackOff(running().status, plain, { restarts: 1, message: "back-off 2s" }, T1);
    assert.deepEqual(status, {
      phase: "Failed",
      reason: "CrashLoopBackOff",
      ready: false,
      readySince: undefined,
      health: "healthy",
      startedAt: T0,
      containerId: undefined,
      ip: undefined,
      restarts: 4,
      message: "back-off 2s",
    });
  });

  test("imageMissing and startFailed say why no container runs, and how sure that is", () => {
    const missing = imageMissing(
      { phase: "Pending", restarts: 0 },
      plain,
      { reason: "ErrImagePull", message: 'image "x" not found' },
      T1,
    );
    assert.deepEqual(missing, {
      phase: "Pending",
      ready: false,
      readySince: undefined,
      reason: "ErrImagePull",
      restarts: 0,
      message: 'image "x" not found',
    });
    const failed = startFailed(
      { phase: "Running", restarts: 1, reason: "r" },
      plain,
      { restarts: 1, reason: undefined, message: "port taken" },
      T1,
    );
    assert.deepEqual(
      [failed.phase, failed.restarts, failed.reason, failed.message],
      ["Failed", 2, undefined, "port taken"],
    );
    const refused = startFailed(
      plain.status,
      plain,
      { restarts: 0, reason: "RunContainerError", message: "m" },
      T1,
    );
    assert.equal(refused.reason, "RunContainerError");
  });
});
