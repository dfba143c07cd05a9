// A named volume on the lab (two hosts, each with its own engine and worker): the file a pod wrote survives a
// restart of its host's worker and of its host's Docker engine; a replaced pod goes back to the host that holds
// the data, not to the emptier other one; with that host cordoned the replacement waits, Pending, with the
// scheduler's counted reason shown by `get pods -o wide`, and runs there once it is uncordoned.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClusterEvent, Deployment, Pod, VolumeReport } from "../../src/core/types.js";
import type { Lab } from "../../src/lab/lab.js";
import { eventually } from "../support/cluster.js";
import { TEST_IMAGE } from "../support/images.js";
import { labApi, labCli, podExec, startTestLab } from "../support/lab.js";

const STEP_TIMEOUT_MS = 180_000;
const DB = "db";
const VOLUME = `orchestra-${DB}-data`;
// Each start of a container adds one line to the volume's file, then sleeps until SIGTERM (at once: no grace).
const APPEND = 'echo "$ORCHESTRA_POD_NAME $(cat /proc/sys/kernel/random/uuid)" >> /data/log';
const COMMAND = ["sh", "-c", `${APPEND}; trap "exit 0" TERM; sleep 3600 & wait`];

let lab: Lab;
/** The host that holds the volume (where the first pod landed), and the other one. */
let holder: string;
let other: string;

const api = <T>(path: string) => labApi<T>(lab, path);
const cli = (args: string[]) => labCli(lab, args);

/** `deploy db` with the volume; `version` changes the template, so each new one rolls the deployment out. */
function deployDb(version: number): Promise<string> {
  const args = ["deploy", DB, "--image", TEST_IMAGE, "--volume", "data:/data", "-e", `V=${version}`];
  return cli([...args, "--", ...COMMAND]);
}

/** The one pod of db at its current revision once it runs (and the old revision's pod is gone). */
async function runningPod(): Promise<Pod & { node: string; status: { containerId: string } }> {
  const current = await api<Deployment>(`/deployments/${DB}`);
  const pods = await api<Pod[]>(`/pods?deployment=${DB}`);
  const summary = pods
    .map((p) => `${p.name}@${p.node} ${p.status.phase} ${p.status.message ?? ""}`)
    .join("; ");
  assert.equal(pods.length, 1, `one pod: ${summary}`);
  const [pod] = pods as [Pod];
  assert.equal(pod.hash, current.hash, `the current revision's pod: ${summary}`);
  assert.equal(pod.status.phase, "Running", summary);
  assert.ok(pod.node && pod.status.containerId, summary);
  return pod as Pod & { node: string; status: { containerId: string } };
}

function waitRunning(timeoutMs = 60_000) {
  return eventually(runningPod, { timeoutMs, intervalMs: 200 });
}

/** The lines of /data/log, read inside the pod's container. */
async function logLines(pod: { node: string; status: { containerId: string } }): Promise<string[]> {
  const read = await podExec(lab, pod.node, pod.status.containerId, ["cat", "/data/log"]);
  assert.equal(read.exitCode, 0, read.output);
  return read.output.trim().split("\n");
}

/** Waits until the file has `count` lines, the earlier ones kept as they were; returns them. */
function expectLines(pod: { node: string; status: { containerId: string } }, earlier: string[]) {
  return eventually(async () => {
    const lines = await logLines(pod);
    assert.equal(lines.length, earlier.length + 1, lines.join("\n"));
    assert.deepEqual(lines.slice(0, earlier.length), earlier, "the earlier lines are kept");
    return lines;
  });
}

/** The names of Orchestra's volumes on a host's own engine. */
async function volumesOn(host: string): Promise<string[]> {
  const listed = await lab
    .engine(host)
    .docker.listVolumes({ filters: { label: ["orchestra.managed=true"] } });
  return (listed.Volumes ?? []).map((volume) => volume.Name).sort();
}

describe("a named volume on two hosts (the lab)", { timeout: 900_000 }, () => {
  before(async () => {
    lab = await startTestLab(2);
  });

  after(async () => {
    await lab?.down();
  });

  test("the file survives a restart of the host's worker and of its Docker engine", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await deployDb(1);
    const first = await waitRunning();
    holder = first.node;
    other = holder === "h1" ? "h2" : "h1";
    const written = await expectLines(first, []);

    // The worker restarts: it adopts the running container, which keeps its data (no new line: not restarted).
    const stoppedAt = Date.now();
    await lab.stopWorker(holder);
    await lab.startWorker(holder);
    const adopted = await waitRunning();
    // Adoption is promised for a restart within the session timeout; a slower one (a loaded machine) loses the
    // node, and its pod starts again where its data is: then the file keeps its lines and gains the new start's.
    const events = await api<ClusterEvent[]>("/events");
    const lost = events.some(
      (e) => e.reason === "NodeLost" && e.object === `node/${holder}` && Date.parse(e.time) >= stoppedAt,
    );
    let kept = written;
    if (lost) {
      assert.equal(adopted.node, holder, "the pod stays with its data");
      kept = await expectLines(adopted, written);
    } else {
      assert.equal(adopted.status.containerId, first.status.containerId, "the same container, adopted");
      assert.deepEqual(await logLines(adopted), written);
    }

    // The engine restarts (as `systemctl restart docker` would: its containers stop with it). The worker finds
    // the pod's container stopped and starts it again; the volume, on the engine's disk, still holds the file.
    const engine = lab.engine(holder);
    await engine.stop();
    await engine.start();
    const restarted = await eventually(
      async () => {
        const pod = await runningPod();
        assert.ok(pod.status.restarts > adopted.status.restarts, `restarts: ${pod.status.restarts}`);
        return pod;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    assert.equal(restarted.node, holder);
    await expectLines(restarted, kept);
    assert.deepEqual(await volumesOn(holder), [VOLUME]);
  });

  test("a replaced pod goes back to the host holding its data; with that host cordoned it waits with the reason", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = await waitRunning();
    const written = await logLines(before);
    // The worker reports its volumes in the store; the scheduler places by what is reported.
    await eventually(async () => {
      const reports = await api<VolumeReport[]>("/volumes");
      assert.deepEqual(
        reports.map((report) => `${report.name}@${report.node}`),
        [`${VOLUME}@${holder}`],
      );
    });

    // A rolling update surges a new pod while the old one still runs: spreading alone would put it on the other,
    // empty host. It goes to the holder, and finds the file.
    await deployDb(2);
    const replaced = await eventually(
      async () => {
        const pod = await runningPod();
        assert.notEqual(pod.id, before.id);
        return pod;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(replaced.node, holder, `the new pod runs on ${replaced.node}, not on ${holder}`);
    const afterUpdate = await expectLines(replaced, written);

    // The holder cordoned: the next revision's pod stays Pending, with the scheduler's counted reason; the old
    // pod keeps running meanwhile.
    await cli(["cordon", holder]);
    await deployDb(3);
    const reason = "0/2 nodes available: 1 cordoned, 1 do not hold volume data";
    const pending = await eventually(
      async () => {
        const current = await api<Deployment>(`/deployments/${DB}`);
        const pods = await api<Pod[]>(`/pods?deployment=${DB}`);
        const fresh = pods.find((pod) => pod.hash === current.hash);
        assert.equal(fresh?.status.phase, "Pending", JSON.stringify(fresh?.status));
        assert.equal(fresh?.status.message, reason);
        return fresh as Pod;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(pending.node, undefined, "not bound to any node");
    const wide = await cli(["get", "pods", "-o", "wide"]);
    const line = wide.split("\n").find((row) => row.startsWith(`${pending.name} `));
    assert.match(line ?? "", new RegExp(`^${pending.name} +${DB} +Unschedulable .* ${reason}$`), wide);
    const old = (await api<Pod[]>(`/pods?deployment=${DB}`)).find((pod) => pod.id === replaced.id);
    assert.equal(old?.status.phase, "Running", "the old pod keeps running");
    assert.deepEqual(await volumesOn(other), [], `${other} holds no copy`);

    // Uncordoned: the waiting pod runs on the holder, with the data.
    await cli(["uncordon", holder]);
    const resumed = await waitRunning();
    assert.equal(resumed.id, pending.id);
    assert.equal(resumed.node, holder);
    await expectLines(resumed, afterUpdate);

    // Deleted with --purge-volumes: the holder's engine no longer has the volume, and no report is left.
    await cli(["delete", DB, "--purge-volumes"]);
    await eventually(
      async () => {
        assert.deepEqual(await volumesOn(holder), []);
        assert.deepEqual(await api<VolumeReport[]>("/volumes"), []);
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
  });
});
