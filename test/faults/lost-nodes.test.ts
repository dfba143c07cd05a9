// Fault scenarios 3 and 7 on real ZooKeeper and Docker, two workers on one engine, T = 2 s: a worker killed
// (or frozen past T) loses its node and its pods move to the other worker under the same names, its stale
// containers go when it returns; every worker losing its session at once evicts nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClusterEvent, DeploymentSpec, Pod } from "../../src/core/types.js";
import { keys } from "../../src/store/keys.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import { eventually, type OrchestraProcess, runCli } from "../support/cluster.js";
import { ensureTestImages, TEST_IMAGE } from "../support/images.js";
import { DistributedRun } from "../support/processes.js";
import {
  ContainerSampler,
  podsOf,
  printReliability,
  runningPods,
  StoreTimeline,
  seconds,
  signal,
  SESSION_TIMEOUT_MS as T,
} from "./support-lost-nodes.js";

const MOVED = "lost";
const STEADY = "steady";
/** Exits on SIGTERM within a second, as a well-behaved service does. */
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
const WORKER_ARGS = ["--stop-grace", "2"];
/** Slack on "marked lost within T": ZooKeeper expires sessions on its tick (200 ms here), then the watch. */
const LOST_BOUND_MS = T + 1000;
const MOVED_BOUND_MS = T + 5000;
const FROZEN_MOVED_BOUND_MS = 10_000;
const STALE_BOUND_MS = 5000;

function spec(name: string, replicas: number): DeploymentSpec {
  return { name, image: TEST_IMAGE, replicas, command: COMMAND };
}

let run: DistributedRun;
let store: ZooKeeperStore;
let timeline: StoreTimeline;
const workers = new Map<string, OrchestraProcess>();
const samplers: ContainerSampler[] = [];

async function apply(deployment: DeploymentSpec): Promise<void> {
  const applied = await runCli(["apply", "-f", "-"], {
    server: run.server,
    input: JSON.stringify(deployment),
  });
  assert.equal(applied.code, 0, applied.stderr);
}

async function eventsSince(since: number, reasons: string[]): Promise<ClusterEvent[]> {
  const all = (await store.list<ClusterEvent>(keys.events)).map((entry) => entry.value);
  return all.filter((event) => Date.parse(event.time) >= since && reasons.includes(event.reason));
}

/** Waits until every pod of `ids` runs on `node`; returns when that was first seen. */
async function allRunningOn(ids: string[], node: string, timeoutMs: number): Promise<number> {
  await eventually(
    async () => {
      const pods = await podsOf(run, MOVED);
      for (const id of ids) {
        const pod = pods.find((p) => p.id === id);
        assert.ok(
          pod?.node === node && pod.status.phase === "Running" && pod.status.containerId,
          `pod ${id}: ${JSON.stringify([pod?.node, pod?.status])}`,
        );
      }
    },
    { timeoutMs, intervalMs: 100 },
  );
  return Date.now();
}

/** Waits until no running container of `deployment` is left on `node`; returns when. */
async function staleGone(deployment: string, node: string, timeoutMs: number): Promise<number> {
  await eventually(
    async () => {
      const left = await run.containers({ "orchestra.deployment": deployment, "orchestra.node": node });
      assert.deepEqual(
        left.filter((c) => c.running).map((c) => c.name),
        [],
      );
    },
    { timeoutMs, intervalMs: 100 },
  );
  return Date.now();
}

/** Checks the two-copies bound around a return at `returnedAt` and prints its figure. */
function checkCopies(sampler: ContainerSampler, scenario: string, returnedAt: number): void {
  const duplicates = sampler.duplicatesSince(0);
  const afterReturn = sampler.duplicatesSince(returnedAt);
  const lastAfterReturn = afterReturn.at(-1)?.at;
  const overlapAfterReturn = lastAfterReturn === undefined ? 0 : lastAfterReturn - returnedAt;
  const whileAway =
    duplicates.length === 0 ? 0 : (duplicates.at(-1)?.at as number) - (duplicates[0]?.at as number);
  printReliability(
    scenario,
    `two running copies of a pod at most ${seconds(STALE_BOUND_MS)} after the lost worker returns`,
    `${seconds(overlapAfterReturn)} after its return (copies seen for ${seconds(whileAway)} in all: ` +
      "the dead worker's containers run on until it returns, nobody else may touch its engine)",
  );
  assert.ok(
    overlapAfterReturn <= STALE_BOUND_MS,
    `two copies of a pod ${overlapAfterReturn} ms after the worker returned`,
  );
}

describe("lost nodes: scenarios 3 and 7 (T = 2 s, two workers on one engine)", { timeout: 240_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs: T });
    await run.startZooKeeper();
    store = await run.storeClient();
    timeline = new StoreTimeline(store);
    await timeline.start();
    const cluster = await run.startCluster({ controllers: 1, schedulers: 1, workerArgs: WORKER_ARGS });
    for (const [node, worker] of cluster.workers) workers.set(node, worker);
    await eventually(async () => assert.equal((await run.api<unknown[]>("/nodes")).length, 2));
    await apply(spec(MOVED, 4));
    const pods = await runningPods(run, MOVED, 4);
    for (const node of run.nodeNames) {
      assert.equal(pods.filter((p) => p.node === node).length, 2, "spread: two pods per node");
    }
  });

  after(async () => {
    for (const worker of workers.values()) signal(worker.pid, "SIGCONT");
    for (const sampler of samplers) await sampler.stop();
    timeline?.stop();
    await run?.cleanup();
  });

  test("scenario 3: kill -9 of one worker of two: node lost within T, pods moved within T + 5 s, stale containers removed within 5 s of its return", {
    timeout: 90_000,
  }, async (t) => {
    const [victim, survivor] = run.nodeNames as [string, string];
    const before = await podsOf(run, MOVED);
    const moving = before.filter((p) => p.node === victim).map((p) => p.id);
    const sampler = new ContainerSampler(run, MOVED);
    samplers.push(sampler);
    sampler.start();

    const killedAt = Date.now();
    assert.deepEqual(await workers.get(victim)?.terminate("SIGKILL"), { code: null, signal: "SIGKILL" });
    // While its pods still name it, `get nodes` shows the node NotReady.
    const notReady = await eventually(
      async () => {
        const nodes = await run.api<{ name: string; ready: boolean; pods: number }[]>("/nodes");
        const node = nodes.find((n) => n.name === victim);
        assert.ok(node && !node.ready && node.pods > 0, `node ${victim}: ${JSON.stringify(node)}`);
        return Date.now();
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    const lostAt = timeline.nodeChangeAt(victim, "node-delete", killedAt);
    assert.ok(lostAt, "the registration vanished");
    const lostMs = lostAt - killedAt;
    const movedAt = await allRunningOn(moving, survivor, 30_000);
    const movedMs = movedAt - killedAt;
    t.diagnostic(`timeline after kill -9: ${timeline.describe(killedAt, moving)}`);
    t.diagnostic(
      `registration gone ${lostMs} ms, get nodes NotReady ${notReady - killedAt} ms, pods running on ${survivor} ${movedMs} ms after kill -9`,
    );
    printReliability(
      "3-node-lost",
      `T + 1 s = ${seconds(LOST_BOUND_MS)} (T = ${seconds(T)})`,
      seconds(lostMs),
    );
    printReliability(
      "3-pods-moved",
      `T + 5 s = ${seconds(MOVED_BOUND_MS)} (goal 10 s end to end)`,
      `${seconds(movedMs)} from kill -9 to its pods running on the other worker`,
    );
    assert.ok(lostMs <= LOST_BOUND_MS, `node marked lost ${lostMs} ms after kill -9`);
    assert.ok(movedMs <= MOVED_BOUND_MS, `pods running elsewhere ${movedMs} ms after kill -9`);

    // Moved, not replaced: the same pods under the same names; the controller said why.
    const after = await podsOf(run, MOVED);
    assert.deepEqual(after.map((p) => p.name).sort(), before.map((p) => p.name).sort());
    const events = await eventsSince(killedAt, ["NodeLost", "PodRescheduled"]);
    assert.ok(
      events.some(
        (e) => e.reason === "NodeLost" && e.object === `node/${victim}` && e.source === "controller",
      ),
    );
    const rescheduled = events.filter((e) => e.reason === "PodRescheduled");
    assert.equal(rescheduled.length, moving.length, JSON.stringify(events));
    for (const event of rescheduled) assert.equal(event.message, `node ${victim} lost`);

    // The dead worker's containers still run (nobody else may touch its engine) until it comes back.
    const restartedAt = Date.now();
    workers.set(victim, await run.startWorker(victim, WORKER_ARGS));
    const cleanedMs = (await staleGone(MOVED, victim, 30_000)) - restartedAt;
    await sleep(1000);
    await sampler.stop();
    printReliability(
      "3-stale-removed",
      `${seconds(STALE_BOUND_MS)} after the lost worker starts again (--stop-grace 2, a service that exits on SIGTERM)`,
      `${seconds(cleanedMs)} from starting the worker process`,
    );
    assert.ok(cleanedMs <= STALE_BOUND_MS, `stale containers removed ${cleanedMs} ms after the restart`);
    checkCopies(sampler, "3-two-copies", restartedAt);
    const final = sampler.samples.at(-1);
    assert.deepEqual(
      [...(final?.running.values() ?? [])].map((ids) => ids.length),
      [1, 1, 1, 1],
      "one running container per pod",
    );
  });

  test("scenario 3, reconnect: a worker frozen past T loses its pods; once thawed (same process, new session) it removes its stale containers within 5 s", {
    timeout: 90_000,
  }, async (t) => {
    // All four pods run on one worker now: freeze that one.
    const pods = await runningPods(run, MOVED, 4);
    const frozen = pods[0]?.node as string;
    const other = run.nodeNames.find((node) => node !== frozen) as string;
    const process = workers.get(frozen) as OrchestraProcess;
    const sampler = new ContainerSampler(run, MOVED);
    samplers.push(sampler);
    sampler.start();

    const stoppedAt = Date.now();
    signal(process.pid, "SIGSTOP");
    let thawedAt: number;
    try {
      const movedMs =
        (await allRunningOn(
          pods.map((p) => p.id),
          other,
          30_000,
        )) - stoppedAt;
      t.diagnostic(`pods running on ${other} ${movedMs} ms after SIGSTOP of ${frozen}`);
      t.diagnostic(
        `timeline after SIGSTOP: ${timeline.describe(
          stoppedAt,
          pods.map((p) => p.id),
        )}`,
      );
      // Four pods start at once here (two after the kill above, where T + 5 s holds): on two cores the
      // engine's parallel starts alone take 3.5 to 4.5 s, so this variant is held to the 10 s end-to-end goal.
      printReliability(
        "3-frozen-pods-moved",
        `${seconds(FROZEN_MOVED_BOUND_MS)} (the end-to-end goal; four pods)`,
        `${seconds(movedMs)} from SIGSTOP of the worker to its pods running on the other`,
      );
      assert.ok(movedMs <= FROZEN_MOVED_BOUND_MS, `pods running elsewhere ${movedMs} ms after SIGSTOP`);
    } finally {
      thawedAt = Date.now();
      signal(process.pid, "SIGCONT");
    }
    const cleanedMs = (await staleGone(MOVED, frozen, 30_000)) - thawedAt;
    await sleep(1000);
    await sampler.stop();
    assert.ok(process.running, "the thawed worker still runs (same process)");
    printReliability(
      "3-reconnect-stale-removed",
      `${seconds(STALE_BOUND_MS)} after the worker's session is back (--stop-grace 2)`,
      `${seconds(cleanedMs)} from SIGCONT`,
    );
    assert.ok(cleanedMs <= STALE_BOUND_MS, `stale containers removed ${cleanedMs} ms after SIGCONT`);
    checkCopies(sampler, "3-reconnect-two-copies", thawedAt);
    await eventually(async () => {
      const nodes = await run.api<{ name: string; ready: boolean }[]>("/nodes");
      assert.deepEqual(
        nodes.map((n) => [n.name, n.ready]),
        run.nodeNames.map((n) => [n, true]),
      );
    });
  });

  test("scenario 7: every worker loses its session at once (frozen past T): nothing is evicted, the same containers keep running", {
    timeout: 90_000,
  }, async (t) => {
    await apply(spec(STEADY, 4));
    await runningPods(run, STEADY, 4);
    const bound = new Map<string, string>();
    const containers = new Map<string, string>();
    for (const pod of [...(await podsOf(run, MOVED)), ...(await podsOf(run, STEADY))] as Pod[]) {
      bound.set(pod.id, pod.node as string);
      containers.set(pod.id, pod.status.containerId as string);
    }
    assert.equal(new Set(bound.values()).size, 2, "pods on both nodes");
    const runningIds = async () =>
      (await run.containers())
        .filter((c) => c.running)
        .map((c) => c.id)
        .sort();
    const before = await runningIds();
    assert.equal(before.length, 8);

    const stoppedAt = Date.now();
    for (const worker of workers.values()) signal(worker.pid, "SIGSTOP");
    let thawedAt: number;
    try {
      await eventually(
        () => {
          for (const node of run.nodeNames)
            assert.ok(timeline.nodeChangeAt(node, "node-delete", stoppedAt), node);
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      const goneMs =
        Math.max(...run.nodeNames.map((n) => timeline.nodeChangeAt(n, "node-delete", stoppedAt) as number)) -
        stoppedAt;
      t.diagnostic(`both registrations gone ${goneMs} ms after SIGSTOP`);
      // Well past the grace a single lost node gets (1.5 s): a controller without the guard would have evicted.
      await sleep(6000);
      const nodes = await run.api<{ name: string; ready: boolean; pods: number }[]>("/nodes");
      assert.deepEqual(
        nodes.map((n) => [n.name, n.ready]),
        run.nodeNames.map((n) => [n, false]),
        "both nodes NotReady during the outage",
      );
    } finally {
      thawedAt = Date.now();
      for (const worker of workers.values()) signal(worker.pid, "SIGCONT");
    }
    await eventually(
      () => {
        for (const node of run.nodeNames) assert.ok(timeline.nodeChangeAt(node, "node-put", thawedAt), node);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const backMs =
      Math.max(...run.nodeNames.map((n) => timeline.nodeChangeAt(n, "node-put", thawedAt) as number)) -
      thawedAt;
    // Let the workers re-sync, then check that nothing moved and nothing was replaced.
    await sleep(4000);
    const unbound = timeline.unbindingsSince(stoppedAt);
    assert.deepEqual(unbound, [], "no pod was taken off its node");
    const pods = [...(await podsOf(run, MOVED)), ...(await podsOf(run, STEADY))];
    for (const pod of pods) {
      assert.equal(pod.node, bound.get(pod.id), `${pod.name} stays on its node`);
      assert.equal(pod.status.containerId, containers.get(pod.id), `${pod.name} keeps its container`);
      assert.equal(pod.status.phase, "Running");
    }
    assert.deepEqual(await runningIds(), before, "the same 8 containers run");
    const events = await eventsSince(stoppedAt, ["NodeLost", "PodRescheduled", "NodeLossHeld"]);
    assert.deepEqual(
      events.map((e) => e.reason),
      ["NodeLossHeld"],
      "the controller held back, and said so",
    );
    t.diagnostic(`both nodes registered again ${backMs} ms after SIGCONT`);
    printReliability(
      "7-all-sessions-lost",
      "no pod evicted, no container replaced (both workers frozen 6 s past T)",
      `0 of 8 pods evicted, 8 of 8 containers kept; nodes registered again ${seconds(backMs)} after SIGCONT`,
    );
  });
});
