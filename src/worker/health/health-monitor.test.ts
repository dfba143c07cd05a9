import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../core/clock.js";
import type { HealthCheck } from "../../core/types.js";
import { FakeRuntime } from "../../runtime/testing/fake/fake-runtime.js";
import { HealthMonitor, type HealthReport } from "./health-monitor.js";
import type { ProbeTarget } from "./probe.js";

const check: HealthCheck = {
  exec: ["check"],
  intervalSeconds: 5,
  timeoutSeconds: 1,
  retries: 2,
  startPeriodSeconds: 0,
};

/** Lets the probe's promise and the monitor's continuation run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function monitorWith(results: boolean[]) {
  const clock = new ManualClock(0);
  const probed: ProbeTarget[] = [];
  const changes: { podId: string; report: HealthReport }[] = [];
  const monitor = new HealthMonitor({
    runtime: new FakeRuntime(),
    clock,
    onChange: (podId, report) => changes.push({ podId, report }),
    probe: async (_check, target) => {
      probed.push(target);
      const ok = results.shift() ?? true;
      return { ok, detail: ok ? "fine" : "broken" };
    },
  });
  const step = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  return { clock, monitor, probed, changes, step };
}

describe("HealthMonitor", () => {
  test("probes at once, then every interval, and reports only changes", async () => {
    const { monitor, probed, changes, step } = monitorWith([true, true, true, false, false]);
    monitor.watch("p1", { containerId: "c1", check, startedAt: 0 });
    assert.equal(monitor.report("p1", "c1")?.verdict, "starting");
    await step(0);
    assert.equal(probed.length, 1);
    assert.deepEqual(
      changes.map((c) => c.report.verdict),
      ["healthy"],
    );
    await step(4999);
    assert.equal(probed.length, 1, "not before the interval");
    await step(1);
    await step(5000);
    assert.equal(probed.length, 3);
    assert.equal(changes.length, 1, "healthy twice more: nothing to report");
    await step(5000);
    await step(5000);
    assert.deepEqual(
      changes.map((c) => c.report.verdict),
      ["healthy", "unhealthy"],
    );
    assert.deepEqual(monitor.report("p1", "c1"), {
      verdict: "unhealthy",
      detail: "broken",
      consecutiveFailures: 2,
    });
    assert.equal(monitor.report("p1", "other-container"), undefined);
    monitor.stopAll();
  });

  test("watching the same container again keeps its prober; a new container starts over", async () => {
    const { monitor, probed, step } = monitorWith([]);
    monitor.watch("p1", { containerId: "c1", check, startedAt: 0 });
    await step(0);
    monitor.watch("p1", { containerId: "c1", check, startedAt: 0 });
    await step(0);
    assert.equal(probed.length, 1);
    assert.equal(monitor.report("p1", "c1")?.verdict, "healthy");
    monitor.watch("p1", { containerId: "c2", check, startedAt: 0 });
    assert.equal(monitor.report("p1", "c2")?.verdict, "starting");
    await step(0);
    assert.equal(probed.at(-1)?.containerId, "c2");
    monitor.stopAll();
  });

  test("a stopped prober probes no more and reports nothing", async () => {
    const { monitor, probed, changes, step } = monitorWith([]);
    monitor.watch("p1", { containerId: "c1", check, startedAt: 0 });
    monitor.stop("p1");
    await step(60_000);
    assert.equal(probed.length, 0);
    assert.equal(changes.length, 0);
    assert.equal(monitor.size, 0);
  });
});
