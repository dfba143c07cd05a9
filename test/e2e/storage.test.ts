// Data that outlives a container, on the real Docker engine under `orchestra up`, driven through the built CLI
// (issue 16's "Shown by"): a named volume's file survives a killed container, a rolling update and a restart of
// Orchestra; a config read
// as a file and as variables inside the pod; a secret read inside the pod (0400, on tmpfs) but found in no API
// answer, in neither the store's raw bytes nor the logs, nor in `docker inspect`; `secret update` rolling the
// deployment to pods that see the new value; a host path outside the allowed directory refused before any
// container is created, one inside mounted; `delete --purge-volumes` removing the volume from Docker.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Deployment, Pod, Revision, VolumeReport } from "../../src/core/types.js";
import { execInContainer } from "../../src/runtime/docker/docker-exec.js";
import { defaultFilesDir } from "../../src/worker/data/pod-data.js";
import { ClusterRun, eventually, type OrchestraProcess } from "../support/cluster.js";
import { ensureTestImages, TEST_IMAGE } from "../support/images.js";

const STEP_TIMEOUT_MS = 120_000;
const suffix = randomBytes(3).toString("hex");
const DB = `db-${suffix}`;
const APP = `app-${suffix}`;
const VOLUME = `orchestra-${DB}-data`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `pw2-${randomBytes(12).toString("hex")}`;
// Ends on SIGTERM at once (a shell as PID 1 would ignore it), so rollouts and deletes take no grace period.
const SLEEPER = ["sh", "-c", 'trap "exit 0" TERM; sleep 3600 & wait'];

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

/** Every place a secret must not be: the store's files on disk, the process's logs. */
function assertNowhereInPlainText(secret: string): void {
  const variants = [secret, Buffer.from(secret).toString("base64")];
  const storeDir = join(run.dataDir, "store");
  for (const file of readdirSync(storeDir)) {
    const bytes = readFileSync(join(storeDir, file));
    for (const text of variants) assert.equal(bytes.includes(text), false, `${file} holds the secret`);
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

    // A rolling update (a new template): a new pod on the same data.
    await run.cliOk([
      "deploy",
      DB,
      "--image",
      TEST_IMAGE,
      "--volume",
      "data:/data",
      "-e",
      "V=2",
      "--",
      ...command,
    ]);
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

  test("a config as a file and as variables, a secret as a 0400 file on tmpfs that nothing else shows; secret update rolls out", {
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

    // An update rolls the deployment out by itself; the new pod reads the new value.
    const before = await run.api<Deployment>(`/deployments/${APP}`);
    const updated = await run.cliOk([
      "secret",
      "update",
      `pw-${suffix}`,
      "--from-literal",
      `password=${NEW_PASSWORD}`,
    ]);
    assert.match(
      updated,
      new RegExp(`version 2, 1 key, ${NEW_PASSWORD.length} bytes; rolling out ${APP}\\)`),
    );
    const next = await eventually(
      async () => {
        const now = await runningPod(APP);
        assert.notEqual(now.pod.hash, before.hash);
        return now;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(await shell(next.containerId, `cat ${secretPath}`), NEW_PASSWORD);
    const history = await run.api<Revision[]>(`/deployments/${APP}/history`);
    assert.equal(history.at(-1)?.cause, `secret pw-${suffix} changed`);
    assertNowhereInPlainText(NEW_PASSWORD);

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
      "--",
      ...SLEEPER,
    ]);
    const { containerId } = await eventually(() => runningPod(allowed), { timeoutMs: 30_000 });
    assert.equal(await shell(containerId, "cat /shared/hello.txt"), "from the host\n");
    await run.cliOk(["delete", allowed]);
  });
});
