import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Pod, PodStatus } from "../core/types.js";
import { withReadiness } from "./pod-readiness.js";

const check = { exec: ["true"], intervalSeconds: 5, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 0 };
const plain = { template: { image: "a" } } as Pod;
const checked = { template: { image: "a", healthCheck: check } } as Pod;
const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:01:00Z");

describe("withReadiness", () => {
  test("without a health check a running container is ready", () => {
    const status = withReadiness({ phase: "Running", restarts: 0 }, plain, true, t0);
    assert.deepEqual([status.ready, status.readySince], [true, t0.toISOString()]);
    assert.equal(withReadiness(status, plain, false, t1).ready, false);
  });

  test("with a health check only a healthy running container is ready", () => {
    const base: PodStatus = { phase: "Running", restarts: 0 };
    assert.equal(withReadiness({ ...base, health: "starting" }, checked, true, t0).ready, false);
    assert.equal(withReadiness({ ...base, health: "unhealthy" }, checked, true, t0).ready, false);
    assert.equal(withReadiness({ ...base, health: "healthy" }, checked, false, t0).ready, false);
    assert.equal(withReadiness({ ...base, health: "healthy" }, checked, true, t0).ready, true);
  });

  test("readySince keeps the moment the pod became ready, and goes when it is not", () => {
    const ready = withReadiness({ phase: "Running", restarts: 0, health: "healthy" }, checked, true, t0);
    assert.equal(withReadiness(ready, checked, true, t1).readySince, t0.toISOString());
    const lost = withReadiness({ ...ready, health: "unhealthy" }, checked, true, t1);
    assert.equal(lost.readySince, undefined);
    assert.equal(
      withReadiness({ ...lost, health: "healthy" }, checked, true, t1).readySince,
      t1.toISOString(),
    );
  });
});
