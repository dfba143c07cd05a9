// Crash backoff then rescheduling, on real Docker and ZooKeeper with two workers: a container that exits at
// once is restarted on its node with growing intervals, and past its restart limit the pod moves to the
// other node.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClusterEvent, DeploymentSpec, Pod } from "../../src/core/types.js";
import { keys } from "../../src/store/keys.js";
import type { Watch } from "../../src/store/store.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import { eventually, runCli } from "../support/cluster.js";
import { ensureTestImages, TEST_IMAGE } from "../support/images.js";
import { DistributedRun } from "../support/processes.js";

const NAME = "crashy";
const STEP_TIMEOUT_MS = 90_000;

const crashLoop: DeploymentSpec = {
  name: NAME,
  image: TEST_IMAGE,
  replicas: 1,
  command: ["sh", "-c", "exit 1"],
  restartPolicy: { backoffInitialSeconds: 1, backoffMaxSeconds: 60, resetAfterSeconds: 600, limit: 2 },
  strategy: { autoRollback: false },
};

let run: DistributedRun;
let store: ZooKeeperStore;
let podWatch: Watch<Pod> | undefined;
/** Every node the crashy pod was bound to, in order, as the store told it. */
const placements: string[] = [];

/** The crashy pod's events, oldest first, as the components recorded them in the store. */
async function podEvents(): Promise<ClusterEvent[]> {
  const all = await store.list<ClusterEvent>(keys.events);
  return all
    .map((entry) => entry.value)
    .filter((event) => event.deployment === NAME && event.object.startsWith("pod/"));
}

describe("crash backoff and rescheduling on a two-worker cluster", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs: 2000 });
    await run.startZooKeeper();
    store = await run.storeClient();
    podWatch = await store.watch<Pod>(keys.pods, (event) => {
      if (event.type !== "put" || event.value.deployment !== NAME || event.value.node === undefined) return;
      if (placements.at(-1) !== event.value.node) placements.push(event.value.node);
    });
    const started = await Promise.allSettled([
      run.startApi(),
      run.startController(),
      run.startScheduler(),
      ...run.nodeNames.map((node) => run.startWorker(node, ["--stop-grace", "1"])),
    ]);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    await eventually(async () => {
      const nodes = await run.api<{ name: string }[]>("/nodes");
      assert.equal(nodes.length, 2, "both workers registered");
    });
  });

  after(async () => {
    podWatch?.stop();
    await run?.cleanup();
  });

  test("the crashing container is restarted with growing intervals, then the pod moves to the other node", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const applied = await runCli(["apply", "-f", "-"], {
      server: run.server,
      input: JSON.stringify(crashLoop),
    });
    assert.equal(applied.code, 0, applied.stderr);

    // Two restarts on the first node (the limit), then the third crash gives the pod back to the scheduler.
    const rescheduled = await eventually(
      async () => {
        const events = await podEvents();
        const moved = events.find((e) => e.reason === "Rescheduled");
        assert.ok(moved, `events so far: ${events.map((e) => e.reason).join(", ")}`);
        return moved;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const [first] = placements;
    assert.ok(first, "the pod was placed");
    const second = run.nodeNames.find((node) => node !== first);
    assert.equal(rescheduled.source, `worker/${first}`);
    assert.match(
      rescheduled.message,
      new RegExp(`crashed 3 times in a row on ${first} \\(exit code 1\\); rescheduling`),
    );

    // On the first node: started, restarted at once, then restarted after a backoff of a second.
    const onFirst = (await podEvents()).filter(
      (e) => e.source === `worker/${first}` && e.time <= rescheduled.time,
    );
    // A repeat is counted on one event (count, firstTime): a series of two gives both its times.
    const startEvents = onFirst.filter((e) => e.reason === "Started" || e.reason === "Restarted");
    const starts = startEvents
      .flatMap((e) => (e.count === 2 && e.firstTime ? [e.firstTime, e.time] : [e.time]))
      .map((time) => Date.parse(time))
      .sort((a, b) => a - b);
    assert.equal(
      startEvents.reduce((n, e) => n + (e.count ?? 1), 0),
      3,
      `starts on ${first}: ${onFirst.map((e) => `${e.time} ${e.reason}`).join("; ")}`,
    );
    const intervals = starts.slice(1).map((time, i) => time - (starts[i] as number));
    t.diagnostic(`intervals between starts on ${first}: ${intervals.join(" ms, ")} ms`);
    const [short, long] = intervals as [number, number];
    assert.ok(long >= 1000, `the second restart waited out the 1 s backoff (${long} ms)`);
    assert.ok(long > short, `intervals grow: ${intervals.join(", ")}`);
    const backOff = onFirst.find((e) => e.reason === "BackOff");
    assert.match(backOff?.message ?? "", /back-off 1s restarting failed container \(exit code 1\)/);

    // The pod itself (not a replacement) is bound to the other node, avoiding the first, and runs there.
    await eventually(
      async () => {
        assert.equal(placements[1], second, `placements: ${placements.join(" -> ")}`);
        const [pod] = await run.api<Pod[]>(`/pods?deployment=${NAME}`);
        assert.ok(pod?.avoidNodes?.includes(first), `avoidNodes: ${pod?.avoidNodes}`);
        const events = await podEvents();
        assert.ok(events.some((e) => e.source === `worker/${second}` && e.reason === "Started"));
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const pods = await run.api<Pod[]>(`/pods?deployment=${NAME}`);
    assert.equal(pods.length, 1, "still one pod: moved, not replaced");
    assert.ok(pods[0] && pods[0].status.restarts >= 2, `restarts: ${pods[0]?.status.restarts}`);
    // Nothing of it is left on the first node while it is placed elsewhere.
    const onFirstNode = await run.containers({ "orchestra.deployment": NAME, "orchestra.node": first });
    if (pods[0]?.node === second)
      assert.deepEqual(
        onFirstNode.map((c) => c.name),
        [],
      );
  });
});
