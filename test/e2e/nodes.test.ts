// Nodes on real Docker and ZooKeeper, two workers as separate processes: cordon then drain empties a node
// while honouring maxUnavailable and its pods run on the other; a pod too big for any node stays Pending
// with the counted reasons; `orchestra events` shows what the scheduler and the API recorded.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClusterEvent, Pod } from "../../src/core/types.js";
import { eventually } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { DistributedRun } from "../support/processes.js";

const STEP_TIMEOUT_MS = 60_000;
const SESSION_TIMEOUT_MS = 2000;

let run: DistributedRun;
let drained: string;
let other: string;

/** A table printed by the CLI as rows of cells (columns are separated by at least three spaces). */
function rows(text: string): string[][] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/ {3,}/));
}

async function pods(deployment: string): Promise<Pod[]> {
  return run.api<Pod[]>(`/pods?deployment=${deployment}`);
}

describe("nodes: cordon, drain, resource-aware placement, events", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs: SESSION_TIMEOUT_MS });
    [drained, other] = run.nodeNames as [string, string];
    await run.startZooKeeper();
    const started = await Promise.allSettled([
      run.startApi(),
      run.startController(),
      run.startScheduler(),
      ...run.nodeNames.map((node) => run.startWorker(node, ["--stop-grace", "2"])),
    ]);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  });

  after(async () => {
    await run?.cleanup();
  });

  test("4 replicas spread 2 and 2; get nodes shows pods and allocated memory", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await eventually(async () => assert.equal((await run.api<unknown[]>("/nodes")).length, 2));
    await run.cliOk(["deploy", "web", "--image", DEMO_IMAGE, "--replicas", "4", "--memory", "64Mi"]);
    await eventually(
      async () => {
        const placed = await pods("web");
        assert.equal(placed.filter((pod) => pod.status.ready === true).length, 4);
        for (const node of run.nodeNames) assert.equal(placed.filter((pod) => pod.node === node).length, 2);
      },
      { timeoutMs: 45_000 },
    );
    const table = rows(await run.cliOk(["get", "nodes"]));
    assert.deepEqual(table[0], ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"]);
    for (const row of table.slice(1)) {
      assert.deepEqual(row.slice(0, 3), [row[0], "Ready", "2"]);
      assert.match(row[4] ?? "", /^128Mi\/\d+(\.\d)?Gi$/, `MEMORY of ${row[0]}`);
    }
  });

  test("cordon then drain: the node is emptied and its pods run on the other node", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    assert.equal(await run.cliOk(["cordon", drained]), `node/${drained} cordoned\n`);
    assert.equal(await run.cliOk(["cordon", drained]), `node/${drained} already cordoned\n`);
    const cordonedRow = rows(await run.cliOk(["get", "nodes"])).find((row) => row[0] === drained);
    assert.equal(cordonedRow?.[1], "Ready,SchedulingDisabled");

    const before = (await pods("web")).filter((pod) => pod.node === drained).map((pod) => pod.name);
    const result = await run.cli(["drain", drained, "--timeout", "45s"]);
    assert.equal(result.code, 0, `drain failed: ${result.stderr}${result.stdout}`);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines[0], `node/${drained} already cordoned`);
    assert.equal(lines.at(-1), `node/${drained} drained`);
    assert.deepEqual(
      lines.filter((line) => line.endsWith(" evicted")).sort(),
      before.map((name) => `pod/${name} evicted`).sort(),
    );
    // maxUnavailable (25% of 4, rounded up as Kubernetes does for disruption budgets: 1) held the second
    // eviction back until the first pod's replacement was ready.
    assert.match(
      result.stderr,
      /waiting to evict pod\/web-\S+ \(will retry\): cannot evict pod\/web-\S+: deployment web needs 3 available pods/,
    );

    const placed = await eventually(
      async () => {
        const now = await pods("web");
        assert.equal(now.length, 4);
        assert.ok(
          now.every((pod) => pod.node === other && pod.status.ready === true),
          JSON.stringify(now.map((pod) => [pod.name, pod.node, pod.status.phase])),
        );
        const onDrained = (await run.containers({ "orchestra.node": drained })).filter((c) => c.running);
        assert.deepEqual(
          onDrained.map((c) => c.name),
          [],
          "no container left running on the drained node",
        );
        return now;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(placed.length, 4);
    const nodeRows = rows(await run.cliOk(["get", "nodes"]));
    assert.deepEqual(
      nodeRows.slice(1).map((row) => row.slice(0, 3)),
      [
        [drained, "Ready,SchedulingDisabled", "0"],
        [other, "Ready", "4"],
      ],
    );
  });

  test("a pod asking for more memory than any node has stays Pending with the counted reasons", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await run.cliOk(["deploy", "big", "--image", DEMO_IMAGE, "--memory", "64Ti"]);
    const expectWide = async (message: string) =>
      eventually(async () => {
        const table = rows(await run.cliOk(["get", "pods", "-o", "wide", "--deployment", "big"]));
        assert.deepEqual(table[0], [
          "NAME",
          "DEPLOYMENT",
          "STATUS",
          "NODE",
          "IP",
          "RESTARTS",
          "AGE",
          "MESSAGE",
        ]);
        assert.equal(table.length, 2);
        assert.deepEqual([table[1]?.[2], table[1]?.[3], table[1]?.[7]], ["Unschedulable", "<none>", message]);
      });
    await expectWide("0/2 nodes available: 1 cordoned, 1 insufficient memory");
    assert.equal(await run.cliOk(["uncordon", drained]), `node/${drained} uncordoned\n`);
    await expectWide("0/2 nodes available: 2 insufficient memory");
  });

  test("orchestra events shows Scheduled, FailedScheduling, Cordoned, Evicted and Drained", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const table = rows(await run.cliOk(["events"]));
    assert.deepEqual(table[0], ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    const reasons = new Set(table.slice(1).map((row) => row[2]));
    for (const reason of ["Scheduled", "FailedScheduling", "Cordoned", "Evicted", "Drained", "Uncordoned"]) {
      assert.ok(reasons.has(reason), `no ${reason} event in:\n${table.map((r) => r.join(" | ")).join("\n")}`);
    }
    const scheduled = table.find((row) => row[2] === "Scheduled");
    assert.equal(scheduled?.[1], "Normal");
    assert.match(scheduled?.[4] ?? "", /^assigned to node e2e-/);

    const big = JSON.parse(await run.cliOk(["events", "big", "-o", "json"])) as ClusterEvent[];
    assert.deepEqual(
      big.map((event) => [event.type, event.reason, event.message]),
      [
        ["Warning", "FailedScheduling", "0/2 nodes available: 1 cordoned, 1 insufficient memory"],
        ["Warning", "FailedScheduling", "0/2 nodes available: 2 insufficient memory"],
      ],
    );
    assert.ok(big.every((event) => event.object.startsWith("pod/big-") && event.source === "scheduler"));
    const nodeEvents = JSON.parse(
      await run.cliOk(["events", `node/${drained}`, "-o", "json"]),
    ) as ClusterEvent[];
    assert.deepEqual(
      nodeEvents.map((event) => event.reason),
      ["Cordoned", "Drained", "Uncordoned"],
    );
  });
});
