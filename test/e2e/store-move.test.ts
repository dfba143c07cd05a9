// Moving a running cluster from the embedded store to ZooKeeper, as docs/OPERATIONS.md says: stop `orchestra up`,
// `snapshot save` the embedded store, `snapshot restore` into a real ZooKeeper, start the components there. The
// deployments, their revisions and the pods come back the same, and Docker's containers are adopted, not restarted.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Deployment, Pod } from "../../src/core/types.js";
import { ClusterRun, eventually, type OrchestraProcess, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper-server.js";

const NAME = "web";
const STEP_TIMEOUT_MS = 120_000;

interface Observed {
  deployment: Deployment;
  history: unknown;
  pods: Pod[];
  /** Container id → [Docker's restart count, start time], of the run's containers. */
  containers: Map<string, [number, string]>;
}

let run: ClusterRun;
let zookeeper: ZooKeeperServer | undefined;
let orchestraUp: OrchestraProcess;
let before_: Observed;
let snapshotFile: string;

/** What a user sees of the cluster: through the API, and from Docker itself. */
async function observe(): Promise<Observed> {
  const [deployment, history, pods, listed] = await Promise.all([
    run.api<Deployment>(`/deployments/${NAME}`),
    run.api<unknown>(`/deployments/${NAME}/history`),
    run.api<Pod[]>(`/pods?deployment=${NAME}`),
    run.containers({ "orchestra.deployment": NAME }),
  ]);
  const containers = new Map<string, [number, string]>();
  for (const c of listed) {
    const inspected = await run.docker.getContainer(c.id).inspect();
    containers.set(c.id, [inspected.RestartCount, inspected.State.StartedAt]);
  }
  pods.sort((a, b) => a.id.localeCompare(b.id));
  return { deployment, history, pods, containers };
}

/** The parts of a pod that must not change across the move (its status timestamps may be written again). */
function podIdentity(pod: Pod) {
  const { phase, containerId, ip, restarts } = pod.status;
  return { id: pod.id, name: pod.name, hash: pod.hash, node: pod.node, phase, containerId, ip, restarts };
}

describe("moving a cluster from the embedded store to ZooKeeper", { timeout: 600_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("move");
    snapshotFile = join(run.dataDir, "cluster.snap");
    orchestraUp = await run.up(["--stop-grace", "2", "--no-dns"]);
  });

  after(async () => {
    await run?.cleanup();
    await zookeeper?.stop();
  });

  test("a deployment at its second revision runs on the embedded store", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const deploy = ["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", "2", "--wait", "--timeout", "60s"];
    await run.cliOk([...deploy, "--env", "ROUND=1"]);
    await run.cliOk([...deploy, "--env", "ROUND=2"]);
    before_ = await eventually(async () => {
      const seen = await observe();
      assert.equal(seen.pods.length, 2);
      assert.ok(seen.pods.every((p) => p.status.phase === "Running" && p.hash === seen.deployment.hash));
      assert.equal(seen.containers.size, 2, "only the second revision's containers are left");
      return seen;
    });
    assert.equal((before_.history as unknown[]).length, 2);
  });

  test("stop, save, restore into ZooKeeper", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.deepEqual(await orchestraUp.terminate("SIGTERM"), { code: 0, signal: null });
    const saved = await runCli([
      "snapshot",
      "save",
      snapshotFile,
      "--store",
      `embedded:${join(run.dataDir, "store")}`,
    ]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /^saved \d+ keys of the embedded store in .* to .*cluster\.snap\n$/);
    assert.equal(statSync(snapshotFile).mode & 0o777, 0o600, "the snapshot is readable by its owner only");

    zookeeper = await startZooKeeper();
    const storeUrl = `zk://${zookeeper.connectString}/orchestra`;
    const restored = await runCli(["snapshot", "restore", snapshotFile, "--store", storeUrl]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(
      restored.stdout,
      /^restored \d+ keys \(saved .*\) into the ZooKeeper 127\.0\.0\.1:\d+\/orchestra\n$/,
    );

    // Again: the store is no longer empty, and nothing is written without --force.
    const again = await runCli(["snapshot", "restore", snapshotFile, "--store", storeUrl]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^error: the ZooKeeper .* is not empty \(it holds \/.*\); restore into an empty store, or pass --force to replace its keys\n$/,
    );

    // A damaged copy is refused before the store is touched.
    const truncated = join(run.dataDir, "truncated.snap");
    const data = readFileSync(snapshotFile);
    writeFileSync(truncated, data.subarray(0, data.length - 20));
    const bad = await runCli(["snapshot", "restore", truncated, "--store", storeUrl, "--force"]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^error: .*truncated\.snap is corrupt or truncated: its content does not match its checksum .*\n$/,
    );
  });

  test("the components on ZooKeeper serve the same cluster and adopt the containers", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    assert.ok(zookeeper, "ZooKeeper was started by the previous step");
    const store = ["--store", `zk://${zookeeper.connectString}/orchestra`];
    await run.startProcess(["run", "api", ...store, "--host", "127.0.0.1", "--port", "0"], {
      waitForApi: true,
    });
    await run.startProcess(["run", "controller", ...store], {
      waitForApi: false,
      readyText: "controller running on",
    });
    await run.startProcess(["run", "scheduler", ...store], {
      waitForApi: false,
      readyText: "scheduler running on",
    });
    const worker = ["run", "worker", ...store, "--name", run.nodeName, "--address", "127.0.0.1"];
    await run.startProcess(
      [...worker, "--network", run.network, "--stop-grace", "2", "--endpoint-port", "0"],
      {
        waitForApi: false,
        readyText: "worker running on",
      },
    );

    const check = async () => {
      const now = await observe();
      assert.deepEqual(now.deployment, before_.deployment, "the deployment (hash, generation, spec)");
      assert.deepEqual(now.history, before_.history, "the revision history");
      assert.deepEqual(now.pods.map(podIdentity), before_.pods.map(podIdentity), "the pods");
      assert.deepEqual(
        now.containers,
        before_.containers,
        "Docker's containers, restart counts and start times",
      );
      const nodes = await run.api<{ name: string; ready: boolean }[]>("/nodes");
      assert.deepEqual(
        nodes.map((n) => [n.name, n.ready]),
        [[run.nodeName, true]],
        "the worker registered again on ZooKeeper",
      );
    };
    await eventually(check, { timeoutMs: 30_000 });
    // The worker has synced every pod by now; watch a little longer that nothing gets replaced.
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      await check();
    }
  });
});
