// Data that outlives a container, on the real Docker engine under `orchestra up`, driven through the built CLI
// (issue 16's "Shown by"; test/e2e/volume-placement.test.ts shows the rest on the lab): a named volume's file
// survives a killed container, a rolling update and a restart of Orchestra, and `get volumes` shows it with its
// size, in use; a config read as a file and as variables inside the pod; a secret read inside the pod (0400, on
// tmpfs) but found in no API answer, in neither the store's raw bytes nor the logs, nor in `docker inspect`;
// `config update` and `secret update` each rolling a serving deployment without a failed request to pods that
// answer with the new value; a host path outside the allowed directory refused before any container is created,
// one inside mounted, and a tmpfs with its size; `delete --purge-volumes` removing the volume from Docker.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Deployment, DeploymentSpec, Pod, Revision, VolumeReport } from "../../src/core/types.js";
import { execInContainer } from "../../src/runtime/docker/docker-exec.js";
import { defaultFilesDir } from "../../src/worker/data/pod-data.js";
import { ClusterRun, eventually, type OrchestraProcess } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages, TEST_IMAGE } from "../support/images.js";
import { type ProbeStats, ServiceProber } from "../support/service-prober.js";

const STEP_TIMEOUT_MS = 120_000;
const suffix = randomBytes(3).toString("hex");
const DB = `db-${suffix}`;
const APP = `app-${suffix}`;
const VOLUME = `orchestra-${DB}-data`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `pw2-${randomBytes(12).toString("hex")}`;
// Ends on SIGTERM at once (a shell as PID 1 would ignore it), so rollouts and deletes take no grace period.
const SLEEPER = ["sh", "-c", 'trap "exit 0" TERM; sleep 3600 & wait'];
const WEB = `web-${suffix}`;
const WEB_PORT = 8080;

let run: ClusterRun;
let orchestraUp: OrchestraProcess;
let allowedDir: string;

/** The one running pod of `deployment` at its current revision, and its container's id. */
async function runningPod(deployment: string): Promise<{ pod: Pod; containerId: string }> {
  const current = await run.api<Deployment>(`/deployments/${deployment}`);
  const pods = await run.api<Pod[]>(`/pods?deployment=${deployment}`);
  const fresh = pods.filter((pod) => pod.hash === current.hash && pod.status.phase === "Running");
  assert.equal(
    fresh.length,
    1,
    `pods: ${pods.map((p) => `${p.name} ${p.status.phase} ${p.status.message}`)}`,
  );
  assert.equal(pods.length, 1, "the old revision's pod is gone");
  const pod = fresh[0] as Pod;
  assert.ok(pod.status.containerId);
  return { pod, containerId: pod.status.containerId };
}

async function shell(containerId: string, script: string): Promise<string> {
  const result = await execInContainer(run.docker, containerId, ["sh", "-c", script], 10_000);
  assert.equal(result.exitCode, 0, `${script}: ${result.output}`);
  return result.output;
}

/**
 * Two replicas answering HTTP with `<pod name> <the config's greeting> <the secret's token>`, read from their files
 * at start; ready once they answer; rolled one new pod at a time, no old one stopped before its successor is ready.
 */
function servingSpec(config: string, secret: string): DeploymentSpec {
  const body = `"$ORCHESTRA_POD_NAME $(cat /etc/web/greeting) $(cat /run/secrets/token/token)"`;
  const serve = `mkdir -p /tmp/www; echo ${body} > /tmp/www/index.html; httpd -f -p ${WEB_PORT} -h /tmp/www & pid=$!`;
  return {
    name: WEB,
    image: TEST_IMAGE,
    replicas: 2,
    command: ["sh", "-c", `${serve}; trap 'kill $pid; exit 0' TERM; wait $pid`],
    ports: [{ name: "http", containerPort: WEB_PORT, protocol: "tcp" }],
    configs: [{ name: config, mountPath: "/etc/web" }],
    secrets: [{ name: secret, mountPath: "/run/secrets/token" }],
    healthCheck: {
      http: { path: "/", port: WEB_PORT },
      intervalSeconds: 1,
      timeoutSeconds: 1,
      retries: 2,
      startPeriodSeconds: 0,
    },
    strategy: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60 },
  };
}

/** A client of `deployment`'s service, by its name on the cluster DNS `orchestra up` serves. */
function startProber(deployment: string): ServiceProber {
  const printed = /Cluster DNS:\s+(\S+):(\d+) for \*\.(\S+)/.exec(orchestraUp.stdout);
  assert.ok(printed, `orchestra up serves no cluster DNS: ${orchestraUp.stdout}`);
  return new ServiceProber({
    dnsServer: `${printed[1]}:${printed[2]}`,
    hostname: `${deployment}.${printed[3]}`,
    port: WEB_PORT,
    apiUrl: run.server,
    deployment,
  });
}

/** Every place a secret must not be: every file of the data folder (the store's and the rest), the process's logs. */
function assertNowhereInPlainText(secret: string): void {
  const variants = [secret, Buffer.from(secret).toString("base64")];
  const storeDir = join(run.dataDir, "store");
  const files = readdirSync(storeDir, { recursive: true, withFileTypes: true }).filter((entry) =>
    entry.isFile(),
  );
  assert.ok(files.length > 0, `no file in ${storeDir}`);
  for (const file of files) {
    const path = join(file.parentPath ?? file.path, file.name);
    const bytes = readFileSync(path);
    for (const text of variants) assert.equal(bytes.includes(text), false, `${path} holds the secret`);
  }
  for (const text of variants) {
    assert.equal(orchestraUp.stdout.includes(text), false, "stdout holds the secret");
    assert.equal(orchestraUp.stderr.includes(text), false, "the logs hold the secret");
  }
}

describe("volumes, configs and secrets on the local Docker engine", { timeout: 600_000 }, () => {
  before(async () => {
    await ensureTestImages();
    run = new ClusterRun("storage");
    allowedDir = join(run.dataDir, "allowed");
    mkdirSync(join(allowedDir, "shared"), { recursive: true });
    writeFileSync(join(allowedDir, "shared", "hello.txt"), "from the host\n");
    orchestraUp = await run.up(["--stop-grace", "2", "--allow-host-path", allowedDir]);
  });

  after(async () => {
    try {
      await run?.cleanup();
    } finally {
      await run?.docker
        .getVolume(VOLUME)
        .remove()
        .catch(() => undefined);
      if (run) rmSync(defaultFilesDir(run.nodeName), { recursive: true, force: true });
    }
  });

  test("a file in a named volume survives a killed container, a rolling update and a restart; --purge-volumes removes it", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const append = 'echo "$ORCHESTRA_POD_NAME $(cat /proc/sys/kernel/random/uuid)" >> /data/log';
    const command = ["sh", "-c", `${append}; trap "exit 0" TERM; sleep 3600 & wait`];
    await run.cliOk(["deploy", DB, "--image", TEST_IMAGE, "--volume", "data:/data", "--", ...command]);
    const first = await eventually(() => runningPod(DB), { timeoutMs: 30_000 });
    const line1 = await eventually(() => shell(first.containerId, "cat /data/log"));
    assert.equal(line1.trim().split("\n").length, 1);

    // Killed from outside: the worker replaces the container; the new one finds the file and adds its line.
    await run.docker.getContainer(first.containerId).kill();
    const second = await eventually(
      async () => {
        const now = await runningPod(DB);
        assert.notEqual(now.containerId, first.containerId);
        return now;
      },
      { timeoutMs: 30_000 },
    );
    const afterKill = await eventually(async () => {
      const log = await shell(second.containerId, "cat /data/log");
      assert.equal(log.trim().split("\n").length, 2, log);
      return log;
    });
    assert.ok(afterKill.startsWith(line1), "the first line is kept");

    // A rolling update to a new image (the demo image: busybox too, with its own command here): a new pod, same data.
    await run.cliOk(["deploy", DB, "--image", DEMO_IMAGE, "--volume", "data:/data", "--", ...command]);
    const third = await eventually(
      async () => {
        const now = await runningPod(DB);
        assert.notEqual(now.pod.id, first.pod.id);
        return now;
      },
      { timeoutMs: 60_000 },
    );
    const afterRollout = await eventually(async () => {
      const log = await shell(third.containerId, "cat /data/log");
      assert.equal(log.trim().split("\n").length, 3, log);
      return log;
    });
    assert.ok(afterRollout.startsWith(afterKill));

    // Orchestra restarted (worker included): the pod is adopted, its data still there.
    await orchestraUp.terminate("SIGTERM");
    orchestraUp = await run.up(["--stop-grace", "2", "--allow-host-path", allowedDir]);
    const adopted = await eventually(() => runningPod(DB), { timeoutMs: 30_000 });
    assert.equal(await shell(adopted.containerId, "cat /data/log"), afterRollout);

    // `get volumes` lists it with its node and in use.
    const volumes = await eventually(async () => {
      const listed = await run.json<VolumeReport[]>(["get", "volumes"]);
      const mine = listed.filter((v) => v.name === VOLUME);
      assert.equal(mine.length, 1, JSON.stringify(listed));
      return mine;
    });
    assert.equal(volumes[0]?.node, run.nodeName);
    assert.equal(volumes[0]?.inUse, true);
    assert.ok((volumes[0]?.sizeBytes ?? 0) > 0, `its size: ${volumes[0]?.sizeBytes}`);
    const table = await run.cliOk(["get", "volumes"]);
    assert.match(table, new RegExp(`${VOLUME} +${run.nodeName} +${DB} +\\S+ +yes`));

    // Deleted with --purge-volumes: the worker removes the volume from Docker once its container is gone.
    assert.equal(
      await run.cliOk(["delete", DB, "--purge-volumes"]),
      `deployment/${DB} deleted (its volumes are being removed)\n`,
    );
    await eventually(
      async () => {
        const found = await run.docker.listVolumes({ filters: { name: [VOLUME] } });
        assert.deepEqual(
          (found.Volumes ?? []).map((v) => v.Name).filter((name) => name === VOLUME),
          [],
        );
        assert.deepEqual(
          (await run.api<VolumeReport[]>("/volumes")).filter((v) => v.name === VOLUME),
          [],
        );
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
  });

  test("a config as a file and as variables, a secret as a 0400 file on tmpfs that nothing else shows", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const secretFile = join(run.dataDir, "password.txt");
    writeFileSync(secretFile, PASSWORD, { mode: 0o600 });
    const created = await run.cliOk([
      "secret",
      "create",
      `pw-${suffix}`,
      "--from-file",
      `password=${secretFile}`,
    ]);
    assert.equal(created, `secret/pw-${suffix} created (version 1, 1 key, ${PASSWORD.length} bytes)\n`);
    await run.cliOk(["config", "create", `conf-${suffix}`, "--from-literal", "app.conf=level = info"]);
    await run.cliOk(["config", "create", `env-${suffix}`, "--from-literal", "GREETING=hello from a config"]);
    await run.cliOk([
      "deploy",
      APP,
      "--image",
      TEST_IMAGE,
      "--config",
      `conf-${suffix}:/etc/app`,
      "--config",
      `env-${suffix}`,
      "--secret",
      `pw-${suffix}`,
      "--",
      ...SLEEPER,
    ]);
    const { containerId } = await eventually(() => runningPod(APP), { timeoutMs: 30_000 });
    assert.equal(await shell(containerId, "cat /etc/app/app.conf"), "level = info");
    assert.equal(await shell(containerId, 'echo "$GREETING"'), "hello from a config\n");
    const secretPath = `/run/secrets/pw-${suffix}/password`;
    assert.equal(await shell(containerId, `cat ${secretPath}`), PASSWORD);
    assert.equal(await shell(containerId, `stat -c %a ${secretPath}`), "400\n");
    const mounts = await shell(containerId, "cat /proc/mounts");
    assert.match(mounts, new RegExp(`^\\S+ /run/secrets/pw-${suffix} tmpfs ro[,\\s]`, "m"));
    assert.equal(
      await shell(containerId, "touch /etc/app/x 2>&1 || echo refused"),
      "touch: /etc/app/x: Read-only file system\nrefused\n",
    );

    // Nowhere else: the container's settings, the API's answers, the store's files, the logs.
    const inspected = JSON.stringify(await run.docker.getContainer(containerId).inspect());
    assert.equal(inspected.includes(PASSWORD), false, "docker inspect shows the secret");
    for (const path of [
      "/secrets",
      `/secrets/pw-${suffix}`,
      `/deployments/${APP}`,
      `/pods?deployment=${APP}`,
      "/events",
    ]) {
      const text = JSON.stringify(await run.api<unknown>(path));
      assert.equal(text.includes(PASSWORD), false, `GET ${path} holds the secret`);
      assert.equal(
        text.includes(Buffer.from(PASSWORD).toString("base64")),
        false,
        `GET ${path} holds it in base64`,
      );
    }
    assert.equal((await run.cliOk(["get", "secrets"])).includes(PASSWORD), false);
    assertNowhereInPlainText(PASSWORD);

    // In use, neither can be deleted; once the deployment is gone, both can.
    const refused = await run.cli(["delete", "secret", `pw-${suffix}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^error: secret pw-${suffix} is used by deployment ${APP}`));
    await run.cliOk(["delete", APP]);
    await run.cliOk(["delete", "secret", `pw-${suffix}`]);
    await run.cliOk(["delete", "config", `conf-${suffix}`, `env-${suffix}`]);
    // The secret's files go with the pod.
    await eventually(() => assert.deepEqual(readdirSync(defaultFilesDir(run.nodeName)), []), {
      timeoutMs: 30_000,
    });
  });

  test("config update and secret update each roll a serving deployment: no request fails, then every pod answers with the new value", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const config = `greeting-${suffix}`;
    const secret = `token-${suffix}`;
    await run.cliOk(["config", "create", config, "--from-literal", "greeting=hello"]);
    await run.cliOk(["secret", "create", secret, "--from-literal", `token=${PASSWORD}`]);
    const applied = await run.cli(["apply", "-f", "-", "--wait", "--timeout", "100s"], {
      input: JSON.stringify(servingSpec(config, secret)),
      timeoutMs: 120_000,
    });
    assert.equal(applied.code, 0, `${applied.stderr}${applied.stdout}\n${orchestraUp.tail()}`);
    const prober = startProber(WEB);
    let stats: ProbeStats;
    try {
      await eventually(() => assert.ok(prober.stats.rounds >= 5, "the client is running"));
      const rollsOut = async (kind: "config" | "secret", name: string, literal: string) => {
        const before = await run.api<Deployment>(`/deployments/${WEB}`);
        const updated = await run.cliOk([kind, "update", name, "--from-literal", literal]);
        assert.match(updated, new RegExp(`version 2, .*; rolling out ${WEB}\\)\n$`));
        const status = await run.cli(["rollout", "status", WEB, "--timeout", "100s"], { timeoutMs: 120_000 });
        assert.equal(status.code, 0, `${status.stderr}${status.stdout}\n${orchestraUp.tail()}`);
        const after = await run.api<Deployment>(`/deployments/${WEB}`);
        assert.notEqual(after.hash, before.hash, `${kind} update rolled ${WEB} to a new revision`);
        const history = await run.api<Revision[]>(`/deployments/${WEB}/history`);
        assert.equal(history.at(-1)?.cause, `${kind} ${name} changed`);
        // Keep probing until the old revision's containers are gone: their stop is the moment a client could see.
        await eventually(
          async () => {
            const running = (await run.containers({ "orchestra.deployment": WEB })).filter((c) => c.running);
            assert.equal(running.length, 2, `${running.length} containers run`);
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
      };
      await rollsOut("config", config, "greeting=bonjour");
      await rollsOut("secret", secret, `token=${NEW_PASSWORD}`);
      // Every pod now answers with both new values (each pod's body names it: the prober has heard them all).
      const pods = await run.api<Pod[]>(`/pods?deployment=${WEB}`);
      assert.equal(pods.length, 2);
      await eventually(() => {
        for (const pod of pods) {
          const body = `${pod.name} bonjour ${NEW_PASSWORD}`;
          assert.ok(prober.stats.bodies.has(body), `not heard yet: ${body}`);
        }
      });
    } finally {
      stats = await prober.stop();
    }
    assert.deepEqual(stats.failures, [], `${stats.failures.length} of ${stats.requests} requests failed`);
    assert.ok(stats.minReadyPods >= 2, `only ${stats.minReadyPods} ready pods at one point`);
    const values = [...stats.bodies].map((body) => body.split(" ").slice(1).join(" "));
    for (const value of [`hello ${PASSWORD}`, `bonjour ${PASSWORD}`, `bonjour ${NEW_PASSWORD}`]) {
      assert.ok(values.includes(value), `no pod answered "${value}": ${[...new Set(values)]}`);
    }
    assertNowhereInPlainText(NEW_PASSWORD);
    await run.cliOk(["delete", WEB]);
    await run.cliOk(["delete", "secret", secret]);
    await run.cliOk(["delete", "config", config]);
  });

  test("a host path outside the allowed directory is refused before any container is created; one inside is mounted", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const refused = `hp-${suffix}`;
    await run.cliOk([
      "deploy",
      refused,
      "--image",
      TEST_IMAGE,
      "--volume",
      "/etc:/host-etc:ro",
      "--",
      ...SLEEPER,
    ]);
    const pod = await eventually(
      async () => {
        const [found] = await run.api<Pod[]>(`/pods?deployment=${refused}`);
        assert.equal(found?.status.reason, "CreateContainerError", JSON.stringify(found?.status));
        return found as Pod;
      },
      { timeoutMs: 30_000 },
    );
    assert.match(
      pod.status.message ?? "",
      new RegExp(
        `host path /etc is not under a directory this worker allows \\(--allow-host-path\\): it allows ${allowedDir}`,
      ),
    );
    assert.deepEqual(await run.containers({ "orchestra.deployment": refused }), []);
    await run.cliOk(["delete", refused]);

    const allowed = `ok-${suffix}`;
    const hostDir = join(allowedDir, "shared");
    await run.cliOk([
      "deploy",
      allowed,
      "--image",
      TEST_IMAGE,
      "--volume",
      `${hostDir}:/shared:ro`,
      "--tmpfs",
      "/cache:8Mi",
      "--",
      ...SLEEPER,
    ]);
    const { containerId } = await eventually(() => runningPod(allowed), { timeoutMs: 30_000 });
    assert.equal(await shell(containerId, "cat /shared/hello.txt"), "from the host\n");
    // And memory with its size limit.
    assert.match(await shell(containerId, "cat /proc/mounts"), /^tmpfs \/cache tmpfs rw,.*size=8192k/m);
    await run.cliOk(["delete", allowed]);
  });
});
