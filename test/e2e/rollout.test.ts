// Rollouts on the real Docker engine through `orchestra up` and the built CLI (issue 5's "Shown by"):
// a rolling update that drops no request while a client resolves the service by DNS name in a loop, and an
// update whose health check fails, rolled back by itself while the old revision keeps serving; and an update to
// an image that cannot be pulled, rolled back within seconds (not at the progress deadline).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Deployment, DeploymentSpec, Pod, Revision } from "../../src/core/types.js";
import { ClusterRun, eventually, type OrchestraProcess } from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../support/images.js";
import { ServiceProber } from "../support/service-prober.js";

const NAME = "web";

/** Revision 1 and 2 differ only in an env var; readiness comes from an HTTP health check. */
function spec(version: string, extra: Partial<DeploymentSpec> = {}): DeploymentSpec {
  return {
    name: NAME,
    image: DEMO_IMAGE,
    replicas: 4,
    env: { VERSION: version },
    ports: [{ name: "http", containerPort: DEMO_PORT, protocol: "tcp" }],
    healthCheck: {
      http: { path: "/healthz", port: DEMO_PORT },
      intervalSeconds: 1,
      timeoutSeconds: 1,
      retries: 2,
      startPeriodSeconds: 0,
    },
    strategy: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60 },
    ...extra,
  };
}

let run: ClusterRun;
let orchestraUp: OrchestraProcess;
let dns: { server: string; domain: string };

async function deployment(): Promise<Deployment> {
  return run.api<Deployment>(`/deployments/${NAME}`);
}

function startProber(): ServiceProber {
  return new ServiceProber({
    dnsServer: dns.server,
    hostname: `${NAME}.${dns.domain}`,
    port: DEMO_PORT,
    apiUrl: run.server,
    deployment: NAME,
  });
}

function apply(manifest: DeploymentSpec, wait = true) {
  const args = ["apply", "-f", "-", ...(wait ? ["--wait", "--timeout", "100s"] : [])];
  return run.cli(args, { input: JSON.stringify(manifest), timeoutMs: 120_000 });
}

describe("rollouts on the real Docker engine", { timeout: 300_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("rollout");
    orchestraUp = await run.up(["--stop-grace", "2"]);
    const printed = /Cluster DNS:\s+(\S+):(\d+) for \*\.(\S+)/.exec(orchestraUp.stdout);
    assert.ok(printed, `orchestra up serves no cluster DNS: ${orchestraUp.stdout}`);
    dns = { server: `${printed[1]}:${printed[2]}`, domain: printed[3] as string };
    const first = await apply(spec("1"));
    assert.equal(first.code, 0, `first rollout: ${first.stderr}${first.stdout}\n${orchestraUp.tail()}`);
  });

  after(async () => {
    await run?.cleanup();
  });

  test("updating 4 replicas with maxUnavailable 0: no failed request, at least 4 ready pods throughout", async () => {
    const before = await deployment();
    const prober = startProber();
    await eventually(() => assert.ok(prober.stats.rounds >= 5, "the client is running"));
    const result = await apply(spec("2"));
    // Keep probing a little after the rollout: the drained old pods stop now.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const stats = await prober.stop();

    assert.equal(result.code, 0, `apply --wait: ${result.stderr}${result.stdout}\n${orchestraUp.tail()}`);
    assert.match(
      result.stdout,
      /^deployment\/web configured\n(Waiting for deployment "web" rollout to finish: .*\.\.\.\n)+deployment "web" successfully rolled out\n$/,
    );
    assert.deepEqual(stats.failures, [], `${stats.failures.length} of ${stats.requests} requests failed`);
    assert.ok(stats.minReadyPods >= 4, `only ${stats.minReadyPods} ready pods at one point`);
    assert.ok(stats.minAnswers >= 4, `a DNS answer had only ${stats.minAnswers} addresses`);
    assert.ok(stats.requests > 100, `only ${stats.requests} requests made`);

    const after = await deployment();
    assert.notEqual(after.hash, before.hash);
    const pods = await run.api<Pod[]>(`/pods?deployment=${NAME}`);
    assert.equal(pods.length, 4);
    assert.ok(pods.every((pod) => pod.hash === after.hash && pod.status.ready));
    // Docker runs exactly the 4 new pods: the old containers are gone.
    await eventually(async () => {
      const running = (await run.containers({ "orchestra.deployment": NAME })).filter((c) => c.running);
      assert.equal(running.length, 4);
    });
    const names = new Set(pods.map((pod) => `hello from ${pod.name}`));
    assert.ok(stats.bodies.size > 4, "both revisions answered during the update");
    assert.ok(
      [...names].every((body) => stats.bodies.has(body)),
      "every new pod answered",
    );
  });

  test("an update whose health check fails rolls back by itself; the old revision serves throughout", async () => {
    const good = await deployment();
    const prober = startProber();
    await eventually(() => assert.ok(prober.stats.rounds >= 5, "the client is running"));
    const broken = spec("3", {
      healthCheck: {
        exec: ["false"],
        intervalSeconds: 1,
        timeoutSeconds: 1,
        retries: 2,
        startPeriodSeconds: 0,
      },
      strategy: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 10 },
    });
    const result = await apply(broken);
    const stats = await prober.stop();

    assert.equal(result.code, 1, `apply --wait should fail: ${result.stderr}${result.stdout}`);
    assert.match(
      result.stderr,
      /error: deployment "web" was rolled back: revision 3 failed: .*rolled back to revision 2/,
    );
    assert.deepEqual(stats.failures, [], `${stats.failures.length} of ${stats.requests} requests failed`);
    assert.ok(stats.minReadyPods >= 4, `only ${stats.minReadyPods} ready pods at one point`);
    assert.ok(stats.minAnswers >= 4, `a DNS answer had only ${stats.minAnswers} addresses`);

    const now = await deployment();
    assert.equal(now.hash, good.hash, "the deployment has the good template again");
    assert.equal(now.env?.VERSION, "2");
    // The broken pod goes; the 4 good ones stay.
    await eventually(async () => {
      const pods = await run.api<Pod[]>(`/pods?deployment=${NAME}`);
      assert.deepEqual(
        pods.map((pod) => [pod.hash, pod.status.ready]),
        Array(4).fill([good.hash, true]),
      );
    });

    const status = await run.cli(["rollout", "status", NAME, "--timeout", "10s"]);
    assert.equal(status.code, 1, status.stdout);
    assert.match(
      status.stderr,
      /rolled back: revision 3 failed: (pod web-\w+ (is unhealthy|crashed)|no progress)/,
    );

    // `get -o wide` says the deployment rolled back, and why.
    const wide = await run.cliOk(["get", "deployments", NAME, "-o", "wide"]);
    assert.match(wide, /ROLLOUT +PUBLISHED\n.*rolled-back: .*revision 3 failed/);

    const history = await run.json<Revision[]>(["rollout", "history", NAME]);
    assert.deepEqual(
      history.map((revision) => [revision.revision, revision.template.env?.VERSION]),
      [
        [1, "1"],
        [3, "3"],
        [4, "2"],
      ],
    );
    assert.match(history[2]?.cause ?? "", /^rollback to revision 2: revision 3 failed/);
    const table = await run.cliOk(["rollout", "history", NAME]);
    assert.match(table, /^REVISION\s+HASH\s+IMAGE\s+CHANGE-CAUSE\s+CREATED\n/);

    const events = await run.api<{ reason: string; type: string; object: string }[]>(`/events?name=${NAME}`);
    assert.ok(
      events.some(
        (e) => e.reason === "RolledBack" && e.type === "Warning" && e.object === `deployment/${NAME}`,
      ),
      `no RolledBack event in ${JSON.stringify(events.map((e) => e.reason))}`,
    );

    // And `rollout undo` goes back to the previous revision on request (revision 1's template).
    const undo = await run.cliOk(["rollout", "undo", NAME, "--to-revision", "1"]);
    assert.equal(undo, "deployment/web rolled back to revision 1\n");
    assert.equal((await deployment()).env?.VERSION, "1");
  });
  test("an update to an image that cannot be pulled rolls back within seconds, not at the deadline", async () => {
    // The previous test ends with an undo: let it finish first.
    const settled = await run.cli(["rollout", "status", NAME, "--timeout", "60s"], { timeoutMs: 70_000 });
    assert.equal(settled.code, 0, `${settled.stderr}${settled.stdout}`);
    const good = await deployment();
    const prober = startProber();
    await eventually(() => assert.ok(prober.stats.rounds >= 5, "the client is running"));
    // Not on this engine, and no registry has it (or none is reachable): the pull fails for good.
    const missing = "orchestra/no-such-image:1";
    const startedAt = Date.now();
    const result = await apply(spec("5", { image: missing, strategy: { maxSurge: 1, maxUnavailable: 0 } }));
    const seconds = (Date.now() - startedAt) / 1000;
    const stats = await prober.stop();

    assert.equal(result.code, 1, `apply --wait should fail: ${result.stderr}${result.stdout}`);
    assert.match(
      result.stderr,
      /error: deployment "web" was rolled back: revision \d+ failed: pod web-\w+ cannot start: ErrImagePull: image "orchestra\/no-such-image:1" not found locally and could not be pulled: .+; rolled back to revision \d+/,
    );
    // The default progress deadline is 120 s; a certain failure does not wait for it.
    assert.ok(seconds < 30, `rolled back only after ${seconds} s`);
    process.stdout.write(`# rolled back ${seconds.toFixed(1)} s after the update\n`);
    assert.deepEqual(stats.failures, [], `${stats.failures.length} of ${stats.requests} requests failed`);
    assert.ok(stats.minReadyPods >= 4, `only ${stats.minReadyPods} ready pods at one point`);
    assert.equal((await deployment()).hash, good.hash, "the deployment has the good template again");

    const status = await run.cli(["rollout", "status", NAME, "--timeout", "10s"]);
    assert.equal(status.code, 1, status.stdout);
    assert.match(status.stderr, /rolled back: revision \d+ failed: pod web-\w+ cannot start: ErrImagePull: /);
    const wide = await run.cliOk(["get", "deployments", NAME, "-o", "wide"]);
    assert.match(wide, /rolled-back: revision \d+ failed: pod web-\w+ cannot start: ErrImagePull/);
    const events = await run.api<{ reason: string; type: string; object: string; message: string }[]>(
      `/events?name=${NAME}`,
    );
    assert.ok(
      events.some(
        (e) => e.reason === "ErrImagePull" && e.type === "Warning" && e.object.startsWith("pod/web-"),
      ),
      `no ErrImagePull event in ${JSON.stringify(events.map((e) => e.reason))}`,
    );
    assert.ok(
      events.some((e) => e.reason === "RolledBack" && /ErrImagePull/.test(e.message)),
      "the RolledBack event gives the reason",
    );
    // The pod that could not start goes; the 4 good ones stay, and no container of the missing image is left.
    await eventually(async () => {
      const pods = await run.api<Pod[]>(`/pods?deployment=${NAME}`);
      assert.deepEqual(
        pods.map((pod) => [pod.hash, pod.status.ready]),
        Array(4).fill([good.hash, true]),
      );
    });
    const containers = await run.containers({ "orchestra.deployment": NAME });
    assert.ok(containers.every((c) => c.image !== missing));
  });
});
