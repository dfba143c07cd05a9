import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ConflictError } from "../core/errors.js";
import { Reconciler } from "../machinery/reconciler.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { InstrumentedStore } from "./instrumented-store.js";
import { metricsText } from "./metrics-registry.js";
import { startMetricsServer } from "./metrics-server.js";
import { countBy } from "./sampled-metric.js";

/** The value of one series in the exposition text, or undefined when it is absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  let dir: string;
  let backend: EmbeddedBackend;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-metrics-"));
    backend = EmbeddedBackend.open(dir);
  });
  after(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the instrumented store times every call and counts failures by kind", async () => {
    const store = new InstrumentedStore(backend.connect());
    const before = await metricsText();
    const count = (text: string, series: string) => sample(text, series) ?? 0;
    await store.create("/things/a", { n: 1 });
    await assert.rejects(store.create("/things/a", { n: 2 }), ConflictError);
    await store.get("/things/a");
    const after = await metricsText();
    const created = 'orchestra_store_operation_duration_seconds_count{operation="create"}';
    assert.equal(count(after, created) - count(before, created), 2);
    const conflicts = 'orchestra_store_operation_errors_total{operation="create",error="conflict"}';
    assert.equal(count(after, conflicts) - count(before, conflicts), 1);
    const gets = 'orchestra_store_operation_duration_seconds_count{operation="get"}';
    assert.equal(count(after, gets) - count(before, gets), 1);
    await store.close();
  });

  test("a named reconciler reports its queue depth and the time of each reconcile", async () => {
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reconciler = new Reconciler<string>({
      name: "things",
      reconcile: async (key) => {
        if (key === "slow") await blocked;
        if (key === "bad") throw new Error("no");
      },
    });
    reconciler.start();
    reconciler.enqueue("slow");
    reconciler.enqueue("a");
    reconciler.enqueue("b");
    await new Promise((resolve) => setImmediate(resolve));
    // "slow" is being worked on; the two behind it wait.
    assert.equal(sample(await metricsText(), 'orchestra_workqueue_depth{controller="things"}'), 2);
    release();
    reconciler.enqueue("bad");
    await reconciler.whenIdle();
    const text = await metricsText();
    assert.equal(sample(text, 'orchestra_workqueue_depth{controller="things"}'), 0);
    assert.equal(
      sample(text, 'orchestra_reconcile_duration_seconds_count{controller="things",result="success"}'),
      3,
    );
    assert.equal(
      sample(text, 'orchestra_reconcile_duration_seconds_count{controller="things",result="error"}'),
      1,
    );
    await reconciler.stop();
    // A stopped loop takes its queue out of the figures.
    assert.equal(sample(await metricsText(), 'orchestra_workqueue_depth{controller="things"}'), undefined);
  });

  test("countBy counts values by name with every known name present", () => {
    assert.deepEqual(countBy("phase", ["Pending", "Running"], ["Running", "Running", "Failed"]), [
      [{ phase: "Pending" }, 0],
      [{ phase: "Running" }, 2],
      [{ phase: "Failed" }, 1],
    ]);
  });

  test("the metrics listener serves /metrics and nothing else", async () => {
    const server = await startMetricsServer({ port: 0 });
    assert.ok(server);
    try {
      const answer = await fetch(server.url);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      assert.match(await answer.text(), /^# HELP orchestra_/m);
      assert.equal((await fetch(server.url.replace("/metrics", "/debug"))).status, 404);
      assert.equal((await fetch(server.url, { method: "POST" })).status, 405);
    } finally {
      await server.close();
    }
  });

  test("a taken port: an error when asked for, a warning and no listener when it was the default", async () => {
    const first = await startMetricsServer({ port: 0 });
    assert.ok(first);
    const port = Number(new URL(first.url).port);
    try {
      await assert.rejects(
        startMetricsServer({ port }),
        /cannot serve metrics on 127\.0\.0\.1:\d+ .*--metrics-port/,
      );
      assert.equal(await startMetricsServer({ port, portIsDefault: true }), undefined);
    } finally {
      await first.close();
    }
  });
});
