// What a user sees of a cluster on the real Docker engine through `orchestra up` and the built CLI (issue 17):
// an image that cannot be pulled (there is no registry here) records an event with the reason, once however
// often the worker retries, and shows as the pod's STATUS; a pod no node takes is Unschedulable; `describe` of
// a deployment, a pod and a node says what a user needs, never a secret's or a variable's value; wrong kinds
// and unknown names are one error line.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClusterEvent, Pod } from "../../src/core/types.js";
import { ClusterRun, eventually, type OrchestraProcess } from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../support/images.js";

const MISSING_IMAGE = "orchestra/does-not-exist:1";
const SECRET_VALUE = "s3cr3t-never-shown";
const ENV_VALUE = "bonjour-never-shown";

let run: ClusterRun;
let orchestraUp: OrchestraProcess;

async function podsOf(deployment: string): Promise<Pod[]> {
  return run.api<Pod[]>(`/pods?deployment=${deployment}`);
}

/** The rows of a table printed by the CLI, split into cells (columns are 3 or more spaces apart). */
function rows(table: string): string[][] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/ {3,}/));
}

async function assertCliError(args: string[], line: string): Promise<void> {
  const result = await run.cli(args);
  assert.equal(result.stderr, `error: ${line}\n`, `orchestra ${args.join(" ")}`);
  assert.equal(result.stdout, "");
  assert.equal(result.code, 1);
}

describe("events, pod reasons and describe on the real Docker engine", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("describe");
    orchestraUp = await run.up(["--stop-grace", "1"]);
  });

  after(async () => {
    await run?.cleanup();
  });

  test("an image that cannot be pulled: an event with the reason (not one per retry), STATUS in get pods, describe says why", async () => {
    await run.cliOk(["deploy", "broken", "--image", MISSING_IMAGE]);
    const [pod] = await eventually(
      async () => {
        const pods = await podsOf("broken");
        assert.equal(pods[0]?.status.reason, "ErrImagePull", JSON.stringify(pods[0]?.status));
        return pods;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.ok(pod);
    const table = rows(await run.cliOk(["get", "pods"]));
    assert.deepEqual(table[0]?.slice(0, 3), ["NAME", "DEPLOYMENT", "STATUS"]);
    assert.deepEqual(table.find((row) => row[0] === pod.name)?.slice(0, 3), [
      pod.name,
      "broken",
      "ErrImagePull",
    ]);

    // The worker keeps retrying with back-off; the events say so once per reason, not once per attempt.
    await sleep(3000);
    const events = (await run.api<ClusterEvent[]>("/events?name=broken")).filter(
      (event) => event.object === `pod/${pod.name}`,
    );
    const pull = events.filter((event) => event.reason === "ErrImagePull");
    assert.equal(pull.length, 1, JSON.stringify(events));
    assert.equal(pull[0]?.type, "Warning");
    assert.match(
      pull[0]?.message ?? "",
      /image "orchestra\/does-not-exist:1" not found locally and could not be pulled/,
    );
    const reasons = events.map((event) => event.reason);
    assert.equal(new Set(reasons).size, reasons.length, `one event per reason: ${reasons.join(", ")}`);

    const described = await run.cliOk(["describe", "pod", pod.name]);
    process.stdout.write(`# describe pod ${pod.name}:\n${described.replace(/^/gm, "#   ")}\n`);
    assert.match(described, new RegExp(`^Name: +${pod.name}\n`));
    assert.match(described, new RegExp(`\nNode: +${run.nodeName}\n`));
    assert.match(described, /\nStatus: +ErrImagePull\n/);
    assert.match(described, /\nMessage: +image "orchestra\/does-not-exist:1" not found locally/);
    assert.match(described, /\n {2}Running +False +ErrImagePull +image "orchestra\/does-not-exist:1"/);
    assert.match(
      described,
      /\nEvents:\n {2}LAST SEEN +TYPE +REASON +FROM +MESSAGE\n(.*\n)* {2}\S+ +Warning +ErrImagePull +worker\//,
    );

    const listed = await run.cliOk(["events", "broken"]);
    assert.match(
      listed,
      new RegExp(`Warning +ErrImagePull +pod/${pod.name} +image "orchestra/does-not-exist:1"`),
    );
    await run.cliOk(["delete", "broken"]);
  });

  test("a pod no node takes shows Unschedulable with a FailedScheduling event, and runs once the node takes pods again", async () => {
    await run.cliOk(["cordon", run.nodeName]);
    try {
      await run.cliOk(["deploy", "waiting", "--image", DEMO_IMAGE]);
      const [pod] = await eventually(async () => {
        const pods = await podsOf("waiting");
        assert.equal(pods[0]?.status.reason, "Unschedulable", JSON.stringify(pods[0]?.status));
        return pods;
      });
      assert.ok(pod);
      const table = rows(await run.cliOk(["get", "pods", "-o", "wide"]));
      const row = table.find((cells) => cells[0] === pod.name);
      assert.deepEqual(row?.slice(0, 4), [pod.name, "waiting", "Unschedulable", "<none>"]);
      assert.match(row?.[7] ?? "", /0\/1 nodes available: 1 cordoned/);
      const events = await run.api<ClusterEvent[]>(`/events?name=${pod.name}`);
      assert.ok(
        events.some((event) => event.reason === "FailedScheduling" && /cordoned/.test(event.message)),
        JSON.stringify(events),
      );
    } finally {
      await run.cliOk(["uncordon", run.nodeName]);
    }
    await eventually(async () => assert.equal((await podsOf("waiting"))[0]?.status.phase, "Running"), {
      timeoutMs: 30_000,
    });
    await run.cliOk(["delete", "waiting"]);
  });

  test("describe deployment, pod and node of a running cluster; lists sorted by name; wrong kinds and names", async () => {
    await run.cliOk(["secret", "create", "pw", "--from-literal", `password=${SECRET_VALUE}`]);
    const deployed = await run.cli(
      ["deploy", "web", "--image", DEMO_IMAGE, "--replicas", "3", "--port", `http:${DEMO_PORT}`].concat([
        "--env",
        `GREETING=${ENV_VALUE}`,
        "--secret",
        "pw",
        "--wait",
        "--timeout",
        "90s",
      ]),
      { timeoutMs: 100_000 },
    );
    assert.equal(deployed.code, 0, `${deployed.stderr}${deployed.stdout}\n${orchestraUp.tail()}`);
    const pods = await podsOf("web");
    assert.equal(pods.length, 3);

    const deployment = await run.cliOk(["describe", "deployment", "web"]);
    process.stdout.write(`# describe deployment web:\n${deployment.replace(/^/gm, "#   ")}\n`);
    assert.match(deployment, /^Name: +web\n/);
    assert.match(
      deployment,
      /\nReplicas: +3 desired \| 3 updated \| 3 total \| 3 ready \| 3 available \| 0 unavailable\n/,
    );
    assert.match(deployment, /\nStrategy: +RollingUpdate: maxSurge 25%, maxUnavailable 25%/);
    assert.match(deployment, new RegExp(`\n {2}Image: +${DEMO_IMAGE}\n`));
    assert.match(deployment, new RegExp(`\n {2}Ports: +${DEMO_PORT}/tcp \\(http\\)\n`));
    assert.match(deployment, /\n {2}Environment: +GREETING \(values not shown\)\n/);
    assert.match(deployment, /\n {2}Secrets: +pw -> \/run\/secrets\/pw \(files on tmpfs, version 1\)\n/);
    assert.match(deployment, /\n {2}Available +True +MinimumReplicasAvailable +3 of 3 available/);
    assert.match(deployment, /\n {2}Progressing +True +NewRevisionAvailable /);
    assert.match(
      deployment,
      /\nRollout:\n {2}Revision: +1 \(hash [0-9a-f]{10}\)\n {2}Cause: +\S.*\n {2}State: +complete\n/,
    );
    const podLines = rows(
      deployment.slice(deployment.indexOf("\nPods:\n") + 7, deployment.indexOf("\nEvents:")),
    );
    assert.deepEqual(podLines[0], ["NAME", "NODE", "STATUS", "READY", "RESTARTS", "AGE"]);
    const sortedNames = pods.map((pod) => pod.name).sort();
    assert.deepEqual(
      podLines.slice(1).map((cells) => cells.slice(0, 5)),
      sortedNames.map((name) => [name, run.nodeName, "Running", "True", "0"]),
    );
    assert.match(deployment, /\nEvents:\n {2}LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n/);
    assert.match(deployment, /Normal +Scheduled +pod\/web-\S+ +assigned to node/);
    assert.match(deployment, /Normal +Started +pod\/web-\S+ +container started on/);

    const first = pods.find((pod) => pod.name === sortedNames[0]) as Pod;
    const pod = await run.cliOk(["describe", "po", first.name]);
    assert.match(pod, new RegExp(`^Name: +${first.name}\nID: +${first.id}\nDeployment: +web\n`));
    assert.match(pod, new RegExp(`\nNode: +${run.nodeName}\n`));
    assert.match(pod, /\nStatus: +Running\n/);
    assert.match(pod, new RegExp(`\nIP: +${(first.status.ip ?? "?").replace(/\./g, "\\.")}\n`));
    assert.match(pod, /\nReady: +True \(since /);
    assert.match(pod, /\n {2}PodScheduled +True +Scheduled +bound to /);
    assert.match(pod, /\n {2}Ready +True +PodReady\n/);
    assert.match(pod, /\nEvents:\n(.*\n)* {2}\S+ +Normal +Scheduled +scheduler +assigned to node/);
    assert.match(pod, /Normal +Started +worker\/\S+ +container started on/);
    // TYPE/NAME and the pod's id name the same pod.
    assert.match(
      await run.cliOk(["describe", `pod/${first.id}`]),
      new RegExp(`^Name: +${first.name}\nID: +${first.id}\n`),
    );

    const node = await run.cliOk(["describe", "node", run.nodeName]);
    process.stdout.write(`# describe node:\n${node.replace(/^/gm, "#   ")}\n`);
    assert.match(node, new RegExp(`^Name: +${run.nodeName}\nStatus: +Ready\n`));
    assert.match(node, /\nPod subnet: +\d+\.\d+\.\d+\.0\/24\n/);
    assert.match(node, /\nCapacity: +cpu \d+, memory [\d.]+[KMGT]i\n/);
    assert.match(node, /\n {2}Ready +True +WorkerRegistered /);
    assert.match(node, /\n {2}Schedulable +True +Schedulable\n/);
    const nodePods = rows(node.slice(node.indexOf("\nPods (") + 1, node.indexOf("\nEvents:"))).slice(2);
    assert.deepEqual(
      nodePods.map((cells) => cells.slice(0, 3)),
      sortedNames.map((name) => [name, "web", "Running"]),
    );

    for (const text of [deployment, pod, node]) {
      assert.ok(
        !text.includes(SECRET_VALUE) && !text.includes(ENV_VALUE),
        "no secret or variable value shown",
      );
    }

    // Every list comes sorted by name.
    const listed = rows(await run.cliOk(["get", "pods"]))
      .slice(1)
      .map((cells) => cells[0] as string);
    assert.deepEqual(listed, [...listed].sort());

    await assertCliError(["describe", "deployment", "nope"], 'deployment "nope" not found');
    await assertCliError(["describe", "pod", "nope"], 'pod "nope" not found');
    await assertCliError(["describe", "node", "nope"], 'node "nope" not found');
    await assertCliError(
      ["describe", "config", "pw"],
      'cannot describe "config": expected deployment, pod or node',
    );
    await assertCliError(["describe", "deployment"], "describe deployment: a name is needed");
  });
});
