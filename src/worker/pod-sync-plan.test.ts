import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HealthCheck, Pod, PodStatus } from "../core/types.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { crashOptions } from "./crash-backoff.js";
import type { HealthReport } from "./health/health-monitor.js";
import { type PodSyncInput, type PodSyncPlan, planPodSync } from "./pod-sync-plan.js";

const NOW = Date.parse("2026-01-01T00:10:00.000Z");
const check: HealthCheck = {
  exec: ["check"],
  intervalSeconds: 1,
  timeoutSeconds: 1,
  retries: 2,
  startPeriodSeconds: 0,
};

function pod(extra: Partial<Pod> = {}): Pod {
  return {
    id: "p1",
    name: "web-p1",
    deployment: "web",
    hash: "h",
    template: { image: "orchestra/hello" },
    node: "n1",
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
}

function container(id: string, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id,
    name: `orchestra-web-p1-${id}`,
    image: "orchestra/hello",
    labels: {},
    state: "running",
    running: true,
    ip: "10.0.0.2",
    startedAt: "2026-01-01T00:05:00.000Z",
    ...extra,
  };
}

function exited(id: string, exitCode: number, finishedAt = "2026-01-01T00:09:00.000Z"): ContainerInfo {
  return container(id, { state: "exited", running: false, exitCode, ip: undefined, finishedAt });
}

function plan(input: Partial<PodSyncInput>): PodSyncPlan {
  return planPodSync({
    node: "n1",
    pod: pod(),
    containers: [],
    restart: undefined,
    policy: crashOptions(),
    health: undefined,
    now: NOW,
    ...input,
  });
}

/** The status a planned change writes over `status` of `current`. */
function written(change: PodSyncPlan["report"], current = pod()): PodStatus | undefined {
  return change?.(structuredClone(current.status), current);
}

const removals = (list: PodSyncPlan["removeFirst"]) => list.map((r) => [r.container.id, r.reason]);

describe("planPodSync", () => {
  test("a pod bound here without a container: start one, nothing to remove", () => {
    const p = plan({});
    assert.deepEqual(p.start, { restarts: 0, afterCrash: undefined });
    assert.deepEqual([p.removeFirst, p.removeLater, p.events], [[], [], []]);
    assert.equal(p.health, "stop");
    assert.equal(p.release, undefined);
    assert.equal(p.report, undefined);
  });

  test("a pod gone, or bound elsewhere: release it and remove its containers", () => {
    const gone = plan({ pod: undefined, containers: [container("c1")], restart: { crashes: undefined } });
    assert.deepEqual(gone.release, true);
    assert.deepEqual(removals(gone.removeFirst), [["c1", "pod deleted"]]);
    assert.equal(gone.restart, undefined);
    assert.equal(gone.start, undefined);
    const moved = plan({ pod: pod({ node: "n2" }), containers: [exited("c1", 0)] });
    assert.deepEqual(removals(moved.removeFirst), [["c1", "pod moved to n2"]]);
    assert.deepEqual(removals(plan({ pod: pod({ node: undefined }) }).removeFirst), []);
    assert.deepEqual(
      removals(plan({ pod: pod({ node: undefined }), containers: [container("c")] }).removeFirst),
      [["c", "pod moved to no node"]],
    );
  });

  test("a running container: report it Running; duplicates go first, stopped ones after the report", () => {
    const newest = container("c2", { startedAt: "2026-01-01T00:06:00.000Z", ip: "10.0.0.3" });
    const p = plan({
      containers: [container("c1"), newest, exited("c0", 1)],
      restart: {
        crashes: { consecutive: 2, lastCrashAt: NOW - 5000 },
        backoff: { at: NOW + 5000, exit: "" },
      },
    });
    assert.deepEqual(removals(p.removeFirst), [["c1", "duplicate container"]]);
    assert.deepEqual(removals(p.removeLater), [["c0", "superseded container"]]);
    assert.equal(p.start, undefined);
    assert.deepEqual(
      p.restart,
      { crashes: { consecutive: 2, lastCrashAt: NOW - 5000 } },
      "a running container ends the back-off, not the crash record",
    );
    const status = written(p.report);
    assert.deepEqual(
      [status?.phase, status?.ready, status?.containerId, status?.ip],
      ["Running", true, "c2", "10.0.0.3"],
    );
  });

  test("a health check: probe the running container, adopted as healthy when the store said so", () => {
    const checked = pod({ template: { image: "a", healthCheck: check } });
    const fresh = plan({ pod: checked, containers: [container("c1")] });
    assert.notEqual(fresh.health, "stop");
    assert.deepEqual(fresh.health !== "stop" && fresh.health.watch, {
      containerId: "c1",
      ip: "10.0.0.2",
      check,
      startedAt: Date.parse("2026-01-01T00:05:00.000Z"),
      initial: undefined,
    });
    assert.deepEqual(
      [written(fresh.report, checked)?.health, written(fresh.report, checked)?.ready],
      ["starting", false],
    );

    const adopted = pod({
      template: { image: "a", healthCheck: check },
      status: { phase: "Running", restarts: 0, containerId: "c1", health: "healthy" },
    });
    const p = plan({ pod: adopted, containers: [container("c1")] });
    assert.equal(p.health !== "stop" && p.health.watch.initial, "healthy");
    assert.deepEqual(
      [written(p.report, adopted)?.health, written(p.report, adopted)?.ready],
      ["healthy", true],
    );
  });

  test("a container that failed its health check is reported, stopped and restarted like a crash", () => {
    const checked = pod({ template: { image: "a", healthCheck: check } });
    const running = container("c1");
    const report: HealthReport = {
      verdict: "unhealthy",
      detail: "exited 1: not well",
      consecutiveFailures: 2,
    };
    const watched = {
      containerId: "c1",
      ip: "10.0.0.2",
      check,
      startedAt: Date.parse(running.startedAt ?? ""),
    };
    const p = plan({ pod: checked, containers: [running], health: { target: watched, report } });
    assert.equal(written(p.report, checked)?.health, "unhealthy");
    assert.equal(p.health, "stop");
    assert.equal(p.stop?.id, "c1");
    assert.deepEqual(removals(p.removeLater), [["c1", "container exited"]]);
    assert.deepEqual(p.events, [
      {
        type: "Warning",
        reason: "Unhealthy",
        message: "health check failed 2 times in a row: exited 1: not well",
      },
    ]);
    // The first failure restarts at once.
    assert.deepEqual(p.start, { restarts: 1, afterCrash: " (health check failed)" });
    assert.deepEqual(p.restart?.crashes, { consecutive: 1, lastCrashAt: NOW });
  });

  test("a verdict about another container is not this one's", () => {
    const checked = pod({ template: { image: "a", healthCheck: check } });
    const report: HealthReport = { verdict: "unhealthy", detail: "", consecutiveFailures: 2 };
    const old = { containerId: "c0", ip: "10.0.0.2", check, startedAt: 0 };
    const p = plan({ pod: checked, containers: [container("c1")], health: { target: old, report } });
    assert.equal(p.stop, undefined);
    assert.equal(written(p.report, checked)?.health, "starting");
  });

  test("a crash: the first restarts at once, the next ones wait out a back-off in CrashLoopBackOff", () => {
    const first = plan({ containers: [exited("c1", 3)] });
    assert.deepEqual(removals(first.removeLater), [["c1", "container exited"]]);
    assert.deepEqual(first.start, { restarts: 1, afterCrash: " (exit code 3)" });
    assert.deepEqual(first.events, []);

    const second = plan({ containers: [exited("c2", 3)], restart: first.restart });
    assert.equal(second.start, undefined);
    assert.equal(second.requeueAfterMs, 1000);
    assert.deepEqual(second.events, [
      {
        type: "Warning",
        reason: "BackOff",
        message: "back-off 1s restarting failed container (exit code 3)",
      },
    ]);
    const status = written(
      second.status,
      pod({ status: { phase: "Running", restarts: 1, containerId: "c2" } }),
    );
    assert.deepEqual(
      [status?.phase, status?.reason, status?.restarts, status?.containerId, status?.message],
      ["Failed", "CrashLoopBackOff", 2, undefined, "back-off 1s restarting failed container (exit code 3)"],
    );

    // Synced again before the back-off is over (say, a watch event): still waiting, nothing counted twice.
    const early = plan({ restart: second.restart, now: NOW + 400 });
    assert.equal(early.requeueAfterMs, 600);
    assert.equal(written(early.status)?.restarts, 0);
    assert.deepEqual(early.events, []);
    // Once it is over: start, as a restart.
    const due = plan({ restart: second.restart, now: NOW + 1000 });
    assert.deepEqual(due.start, { restarts: 0, afterCrash: " (exit code 3)" });
  });

  test("a stopped container the engine would not remove is counted once, not again at every sync", () => {
    const first = plan({ containers: [exited("c1", 3)] });
    assert.deepEqual(first.start, { restarts: 1, afterCrash: " (exit code 3)" });
    // The start failed (the engine was going away) and c1 is still listed, renamed aside: no second crash.
    const again = plan({ containers: [exited("c1", 3)], restart: first.restart, now: NOW + 5000 });
    assert.deepEqual(again.start, { restarts: 0, afterCrash: " (exit code 3)" });
    assert.deepEqual(again.events, []);
    assert.deepEqual(removals(again.removeLater), [["c1", "container exited"]]);
    assert.deepEqual(again.restart?.crashes, first.restart?.crashes);
    // A new container that ends beside it is a crash of its own.
    const next = plan({
      containers: [exited("c1", 3), exited("c2", 4, "2026-01-01T00:09:30.000Z")],
      restart: again.restart,
      now: NOW + 6000,
    });
    assert.equal(next.start, undefined);
    assert.equal(next.restart?.backoff?.exit, " (exit code 4)");
    assert.deepEqual(next.restart?.counted, ["c1", "c2"]);
  });

  test("the last container to stop says why: out of memory, its exit code, or nothing", () => {
    const oom = container("c2", { running: false, oomKilled: true, finishedAt: "2026-01-01T00:09:30.000Z" });
    assert.deepEqual(plan({ containers: [exited("c1", 1), oom] }).start?.afterCrash, " (out of memory)");
    assert.deepEqual(plan({ containers: [container("c3", { running: false })] }).start?.afterCrash, "");
  });

  test("an out-of-memory kill is an OOMKilled event, with the memory limit", () => {
    const oom = container("c2", { running: false, oomKilled: true, finishedAt: "2026-01-01T00:09:30.000Z" });
    const limited = pod({ template: { image: "orchestra/hello", resources: { memory: 8388608 } } });
    assert.deepEqual(plan({ pod: limited, containers: [oom] }).events, [
      {
        type: "Warning",
        reason: "OOMKilled",
        message: "container killed: out of memory (limit 8388608 bytes)",
      },
    ]);
    assert.deepEqual(plan({ containers: [exited("c1", 1)] }).events, []);
  });

  test("the output of the last container to stop is kept before it is removed, for logs --previous", () => {
    const restart = plan({ containers: [exited("c1", 1), exited("c0", 1, "2026-01-01T00:08:00.000Z")] });
    assert.deepEqual(
      restart.removeLater.map((r) => [r.container.id, r.keepLogs ?? false]),
      [
        ["c1", true],
        ["c0", false],
      ],
    );
    const superseded = plan({ containers: [container("c2"), exited("c1", 1)] });
    assert.deepEqual(
      superseded.removeLater.map((r) => [r.container.id, r.reason, r.keepLogs]),
      [["c1", "superseded container", true]],
    );
    const gone = plan({ pod: undefined, containers: [exited("c1", 1)] });
    assert.equal(gone.removeFirst[0]?.keepLogs, undefined, "a released pod keeps nothing");
  });

  test("past the restart limit: move the pod away instead of restarting it", () => {
    const policy = crashOptions(
      {},
      { backoffInitialSeconds: 1, backoffMaxSeconds: 10, resetAfterSeconds: 600, limit: 2 },
    );
    const p = plan({
      containers: [exited("c1", 1)],
      policy,
      restart: { crashes: { consecutive: 2, lastCrashAt: NOW - 1000 } },
    });
    assert.equal(p.moveAway, "crashed 3 times in a row on n1 (exit code 1); rescheduling");
    assert.deepEqual(removals(p.removeLater), [["c1", "pod rescheduled"]]);
    assert.equal(p.start, undefined);
    assert.equal(p.status, undefined);
    assert.equal(p.restart, undefined, "forgotten here: the pod goes elsewhere");
  });
});
