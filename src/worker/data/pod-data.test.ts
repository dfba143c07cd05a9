// PodData on the fake runtime and the embedded store: a secret decrypted into a 0400 file on tmpfs and bound
// read-only, a config's keys as variables, a refusal naming the reason (definitive) with no volume created, a
// named volume created and reported, a purged one removed once no container uses it, files gone on release.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { systemClock } from "../../core/clock.js";
import { logger } from "../../core/logger.js";
import type { Pod, PodTemplate, VolumeReport } from "../../core/types.js";
import { ContainerStartError } from "../../runtime/errors.js";
import { FakeRuntime } from "../../runtime/testing/fake/fake-runtime.js";
import { sealSecretData } from "../../secrets/secret-data.js";
import { SecretKeyRing } from "../../secrets/secret-key-ring.js";
import { EmbeddedBackend } from "../../store/embedded/embedded-backend.js";
import { keys } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { PodData } from "./pod-data.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

function pod(id: string, template: Partial<PodTemplate>): Pod {
  return {
    id,
    name: `db-${id}`,
    deployment: "db",
    hash: "h1",
    template: { image: "busybox", ...template },
    node: "n1",
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  } as Pod;
}

describe("PodData", () => {
  const ring = new SecretKeyRing([randomBytes(32)]);
  let dir: string;
  let filesDir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let runtime: FakeRuntime;
  let data: PodData;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-pod-data-"));
    // /dev/shm is a tmpfs on Linux: secrets go nowhere else.
    filesDir = mkdtempSync("/dev/shm/orchestra-pod-data-test-");
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    runtime = new FakeRuntime({ images: ["busybox"] });
    await runtime.ensureNetwork({ name: "pods" });
    data = new PodData({
      store,
      runtime,
      node: "n1",
      clock: systemClock,
      log: logger("test"),
      secrets: ring,
      filesDir,
      allowHostPaths: ["/srv/data"],
    });
    await store.set(keys.secretVersion("pw", 1), sealSecretData(ring, "pw", 1, { password: b64("s3cret") }));
    await store.set(keys.configVersion("env", 2), { data: { LEVEL: b64("debug") } });
  });

  after(() => {
    data?.stop();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(filesDir, { recursive: true, force: true });
  });

  test("a secret becomes a 0400 file bound read-only; a config's keys become variables", async () => {
    const p = pod("p1", {
      secrets: [{ name: "pw", version: 1 }],
      configs: [{ name: "env", env: true, version: 2 }],
    });
    const prepared = await data.prepare(p);
    const source = join(filesDir, "p1", "secrets", "pw");
    assert.deepEqual(prepared, {
      mounts: [{ type: "bind", source, target: "/run/secrets/pw", readOnly: true }],
      env: { LEVEL: "debug" },
    });
    assert.equal(readFileSync(join(source, "password"), "utf8"), "s3cret");
    assert.equal(statSync(join(source, "password")).mode & 0o777, 0o400);
    await data.release("p1");
    assert.throws(() => statSync(join(filesDir, "p1")), /ENOENT/);
  });

  test("refusals are definitive and name the reason; nothing is created", async () => {
    const cases: [Partial<PodTemplate>, RegExp][] = [
      [
        {
          volumes: [
            { name: "data", mountPath: "/data" },
            { name: "h", mountPath: "/h", hostPath: "/etc" },
          ],
        },
        /volume h: host path \/etc is not under a directory this worker allows \(--allow-host-path\): it allows \/srv\/data/,
      ],
      [{ secrets: [{ name: "pw", version: 7 }] }, /secret pw has no version 7/],
      [{ configs: [{ name: "gone", env: true, version: 1 }] }, /config gone has no version 1/],
    ];
    for (const [template, reason] of cases) {
      await assert.rejects(data.prepare(pod("p2", template)), (err: ContainerStartError) => {
        assert.ok(err instanceof ContainerStartError);
        assert.equal(err.step, "create");
        assert.equal(err.definitive, true);
        assert.match(err.message, reason);
        return true;
      });
    }
    assert.deepEqual(await runtime.listVolumes({ labels: {} }), []);
    const keyless = new PodData({
      store,
      runtime,
      node: "n1",
      clock: systemClock,
      log: logger("test"),
      filesDir,
    });
    await assert.rejects(
      keyless.prepare(pod("p3", { secrets: [{ name: "pw", version: 1 }] })),
      /this worker has no secrets key \(start it with --secrets-key-file\)/,
    );
  });

  test("a named volume is created and reported; purged, it is removed once no container uses it", async () => {
    const p = pod("p4", { volumes: [{ name: "data", mountPath: "/data" }] });
    const prepared = await data.prepare(p);
    assert.deepEqual(prepared.mounts, [
      { type: "volume", source: "orchestra-db-data", target: "/data", readOnly: false },
    ]);
    const report = await store.get<VolumeReport>(keys.volume("n1", "orchestra-db-data"));
    assert.equal(report?.value.inUse, true);
    assert.equal(report?.value.deployment, "db");

    const container = await runtime.start({
      name: "db-p4.n1",
      image: "busybox",
      labels: {},
      network: "pods",
      mounts: prepared.mounts,
    });
    runtime.setVolumeSize("orchestra-db-data", 4096);
    await store.set(keys.volume("n1", "orchestra-db-data"), {
      ...(report?.value as VolumeReport),
      purge: true,
    });
    await data.refreshVolumes();
    // In use: kept, its size reported, still marked.
    const kept = await store.get<VolumeReport>(keys.volume("n1", "orchestra-db-data"));
    assert.deepEqual([kept?.value.sizeBytes, kept?.value.purge], [4096, true]);
    assert.equal((await runtime.listVolumes({ labels: {} })).length, 1);

    await runtime.remove(container.id);
    await data.refreshVolumes();
    assert.deepEqual(await runtime.listVolumes({ labels: {} }), []);
    assert.equal(await store.get(keys.volume("n1", "orchestra-db-data")), undefined);
  });
});
