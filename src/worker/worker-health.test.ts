import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { HealthCheck, Pod, PodTemplate, RestartPolicy } from "../core/types.js";
import type { EventInput, EventSink } from "../events/event-recorder.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import { FakeRuntime } from "../runtime/testing/fake/fake-runtime.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { keys } from "../store/keys.js";
import { podCreateOps, podDeleteOps, podWriteOps } from "../store/pod-ops.js";
import type { Store } from "../store/store.js";
import { eventually } from "../store/testing/contract-support.js";
import { Worker } from "./worker.js";

const HEALTHY_IMAGE = "orchestra/healthy:1";
const SICK_IMAGE = "orchestra/sick:1";
const CRASHING_IMAGE = "orchestra/crashing:1";
const check: HealthCheck = {
  exec: ["check"],
  intervalSeconds: 0.05,
  timeoutSeconds: 1,
  retries: 2,
  startPeriodSeconds: 0,
};
/** Quick backoff so that restarts follow each other in a test's time. */
const quickRestarts: RestartPolicy = {
  backoffInitialSeconds: 0.05,
  backoffMaxSeconds: 0.2,
  resetAfterSeconds: 60,
  limit: 100,
};

function pod(id: string, template: PodTemplate): Pod {
  const now = new Date().toISOString();
  return {
    id,
    name: `web-${id}`,
    deployment: "web",
    hash: "abc",
    template,
    node: "n1",
    status: { phase: "Pending", restarts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

describe("worker health checks, restart policy and rescheduling", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let runtime: FakeRuntime;
  let worker: Worker;
  const events: EventInput[] = [];
  const sink: EventSink = { record: (event) => events.push(event) };
  const execs = new Map<string, number>();

  const podStatus = async (id: string) => (await store.get<Pod>(keys.pod(id)))?.value.status;
  const deletePod = async (id: string) => {
    const entry = await store.get<Pod>(keys.pod(id));
    if (entry) await store.transaction(podDeleteOps(entry.value));
  };
  const containersOf = (podId: string) =>
    runtime.list({ labels: { [LABEL_MANAGED]: "true", [LABEL_NODE]: "n1", [LABEL_POD]: podId } });
  const eventsOf = (id: string, reason: string) =>
    events.filter((e) => e.object === `pod/web-${id}` && e.reason === reason);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-worker-health-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    runtime = new FakeRuntime({ images: [HEALTHY_IMAGE, SICK_IMAGE, CRASHING_IMAGE] });
    const counted = (image: string, exitCode: number) => () => {
      execs.set(image, (execs.get(image) ?? 0) + 1);
      return { exitCode, output: exitCode === 0 ? "" : "not well" };
    };
    runtime.script({ image: HEALTHY_IMAGE }, { exec: counted(HEALTHY_IMAGE, 0) });
    runtime.script({ image: SICK_IMAGE }, { exec: counted(SICK_IMAGE, 1) });
    runtime.script({ image: CRASHING_IMAGE }, { exitAfterMs: 20, exitCode: 1 });
    worker = new Worker({
      store,
      runtime,
      name: "n1",
      address: "127.0.0.1",
      network: { name: "orchestra-test", subnet: "10.98.0.0/24" },
      stopGraceSeconds: 0,
      events: sink,
    });
    await worker.start();
  });
  after(async () => {
    await worker.stop();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a passing check makes the pod healthy and ready, and steady health writes nothing", async () => {
    await store.transaction(podCreateOps(pod("ok", { image: HEALTHY_IMAGE, healthCheck: check })));
    const status = await eventually(async () => {
      const s = await podStatus("ok");
      assert.equal(s?.health, "healthy");
      return s;
    });
    assert.equal(status?.phase, "Running");
    assert.equal(status?.ready, true);
    assert.ok(status?.readySince, "readySince is set");
    assert.deepEqual(
      eventsOf("ok", "Started").map((e) => e.type),
      ["Normal"],
    );

    // Probes go on, but a verdict that stays the same is not written again.
    const writes: number[] = [];
    const watch = await store.watch<Pod>(keys.pods, (event) => {
      if (event.key === keys.pod("ok") && event.type === "put") writes.push(event.version);
    });
    const probesBefore = execs.get(HEALTHY_IMAGE) ?? 0;
    await new Promise((r) => setTimeout(r, 400));
    watch.stop();
    assert.ok((execs.get(HEALTHY_IMAGE) ?? 0) >= probesBefore + 3, "the check kept probing");
    assert.deepEqual(writes, []);
    assert.equal((await podStatus("ok"))?.readySince, status?.readySince);
  });

  test("a failing check makes the pod unhealthy, never ready, and restarts it with backoff", async () => {
    await store.transaction(
      podCreateOps(pod("sick", { image: SICK_IMAGE, healthCheck: check, restartPolicy: quickRestarts })),
    );
    const seen = new Set<string>();
    let everReady = false;
    const watch = await store.watch<Pod>(keys.pods, (event) => {
      if (event.key !== keys.pod("sick") || event.type !== "put") return;
      seen.add(`${event.value.status.health}`);
      everReady ||= event.value.status.ready === true;
    });
    const status = await eventually(async () => {
      const s = await podStatus("sick");
      assert.ok((s?.restarts ?? 0) >= 3, `restarts: ${s?.restarts}`);
      assert.ok(eventsOf("sick", "Restarted").length >= 3);
      return s;
    });
    watch.stop();
    assert.ok(seen.has("unhealthy"), `health seen: ${[...seen].join(",")}`);
    assert.ok(seen.has("starting"));
    assert.equal(everReady, false);
    assert.notEqual(status?.ready, true);
    const unhealthy = eventsOf("sick", "Unhealthy");
    assert.ok(unhealthy.length >= 3);
    assert.equal(unhealthy[0]?.type, "Warning");
    assert.match(
      unhealthy[0]?.message ?? "",
      /health check failed 2 times in a row: \["check"\] exited 1: not well/,
    );
    assert.ok(eventsOf("sick", "Restarted").length >= 3);
    assert.match(
      eventsOf("sick", "BackOff")[0]?.message ?? "",
      /restarting failed container \(health check failed\)/,
    );
    assert.ok((await containersOf("sick")).filter((c) => c.running).length <= 1);
    await deletePod("sick");
    await eventually(async () => assert.equal((await containersOf("sick")).length, 0));
  });

  test("probing stops when the pod goes", async () => {
    await deletePod("ok");
    await eventually(async () => assert.equal((await containersOf("ok")).length, 0));
    const probes = execs.get(HEALTHY_IMAGE);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(execs.get(HEALTHY_IMAGE), probes);
  });

  test("a crash loop shows CrashLoopBackOff, then past the limit the pod leaves the node", async () => {
    await store.transaction(
      podCreateOps(
        pod("crash", {
          image: CRASHING_IMAGE,
          restartPolicy: { ...quickRestarts, backoffInitialSeconds: 0.3, limit: 2 },
        }),
      ),
    );
    const backingOff = await eventually(async () => {
      const s = await podStatus("crash");
      assert.equal(s?.reason, "CrashLoopBackOff");
      return s;
    });
    assert.equal(backingOff?.phase, "Failed");
    assert.match(backingOff?.message ?? "", /^back-off 1s restarting failed container \(exit code 1\)$/);

    const moved = await eventually(async () => {
      const entry = await store.get<Pod>(keys.pod("crash"));
      assert.equal(entry?.value.node, undefined);
      return entry?.value;
    });
    assert.deepEqual(moved?.avoidNodes, ["n1"]);
    assert.equal(moved?.status.phase, "Pending");
    assert.equal(moved?.status.restarts, 2, "two restarts here, then moved");
    assert.equal(moved?.status.ready, false);
    assert.equal(moved?.status.containerId, undefined);
    assert.match(moved?.status.message ?? "", /crashed 3 times in a row on n1 \(exit code 1\); rescheduling/);
    await eventually(async () => assert.equal((await containersOf("crash")).length, 0));
    assert.equal(eventsOf("crash", "Rescheduled").length, 1);
    assert.equal(eventsOf("crash", "Restarted").length, 2);

    // Bound here again (say every node was avoided): it starts afresh, with the crash count forgotten.
    const entry = await store.get<Pod>(keys.pod("crash"));
    assert.ok(entry);
    await store.transaction(podWriteOps({ ...entry.value, node: "n1" }, entry.version, undefined));
    await eventually(async () => assert.equal(eventsOf("crash", "Started").length, 2));
    await deletePod("crash");
    await eventually(async () => assert.equal((await containersOf("crash")).length, 0));
  });
});
