// Volumes, configs and secrets of a deployment: the shapes accepted, defaults filled in, and each refusal
// naming its field, as the API and the CLI report it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "./errors.js";
import { checkerFor } from "./schema-check.js";
import { DataWrite, MAX_DATA_BYTES } from "./schemas/config-secret.js";
import { MAX_VOLUMES } from "./schemas/mounts.js";
import { validateDeploymentSpec } from "./validation.js";

const base = { name: "db", image: "postgres:16" };

function rejects(
  input: unknown,
  field: string,
  message?: RegExp,
  check: (input: unknown) => unknown = validateDeploymentSpec,
): void {
  assert.throws(
    () => check(input),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      assert.equal(e.field, field, e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
    JSON.stringify(input),
  );
}

describe("volumes", () => {
  test("the three kinds; a tmpfs gets 64 MiB unless it says otherwise", () => {
    const spec = validateDeploymentSpec({
      ...base,
      volumes: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: "scratch", mountPath: "/tmp", tmpfs: {} },
        { name: "conf", mountPath: "/etc/shared", hostPath: "/srv/shared", readOnly: true },
      ],
    });
    assert.deepEqual(spec.volumes, [
      { name: "data", mountPath: "/var/lib/postgresql/data" },
      { name: "scratch", mountPath: "/tmp", tmpfs: { sizeBytes: 64 * 2 ** 20 } },
      { name: "conf", mountPath: "/etc/shared", hostPath: "/srv/shared", readOnly: true },
    ]);
  });

  test("refusals name the field", () => {
    const volume = { name: "data", mountPath: "/data" };
    rejects({ ...base, volumes: [{ ...volume, name: "Data" }] }, "volumes[0].name", /DNS label/);
    rejects({ ...base, volumes: [{ ...volume, mountPath: "data" }] }, "volumes[0].mountPath", /absolute/);
    rejects(
      { ...base, volumes: [{ ...volume, mountPath: "/a/../b" }] },
      "volumes[0].mountPath",
      /normalized/,
    );
    rejects({ ...base, volumes: [{ ...volume, mountPath: "/a/" }] }, "volumes[0].mountPath", /normalized/);
    rejects({ ...base, volumes: [{ ...volume, mountPath: "/" }] }, "volumes[0].mountPath", /root/);
    rejects(
      { ...base, volumes: [{ ...volume, hostPath: "/srv", tmpfs: {} }] },
      "volumes[0]",
      /both tmpfs and hostPath/,
    );
    rejects({ ...base, volumes: [{ ...volume, tmpfs: { sizeBytes: 10 } }] }, "volumes[0].tmpfs.sizeBytes");
    rejects(
      { ...base, volumes: [volume, { ...volume, mountPath: "/b" }] },
      "volumes[1].name",
      /already used/,
    );
    rejects(
      { ...base, volumes: [volume, { name: "other", mountPath: "/data" }] },
      "volumes[1].mountPath",
      /\/data is already mounted by volumes\[0\]/,
    );
    const many = Array.from({ length: MAX_VOLUMES + 1 }, (_, i) => ({ name: `v${i}`, mountPath: `/v${i}` }));
    rejects({ ...base, volumes: many }, "volumes", /at most 16 volumes/);
  });
});

describe("configs and secrets", () => {
  test("references as files, environment variables, or a secret at its default path", () => {
    const spec = validateDeploymentSpec({
      ...base,
      configs: [
        { name: "app", mountPath: "/etc/app" },
        { name: "flags", env: true },
      ],
      secrets: [{ name: "db-password" }, { name: "tls", mountPath: "/etc/tls", version: 2 }],
    });
    assert.equal(spec.configs?.length, 2);
    assert.deepEqual(spec.secrets?.[1], { name: "tls", mountPath: "/etc/tls", version: 2 });
  });

  test("refusals name the field", () => {
    rejects({ ...base, configs: [{ name: "app" }] }, "configs[0]", /mountPath .*env: true/);
    rejects({ ...base, configs: [{ name: "app", env: true, version: 0 }] }, "configs[0].version");
    rejects({ ...base, secrets: [{ name: "a" }, { name: "a", mountPath: "/x" }] }, "secrets[1].name");
    rejects(
      { ...base, secrets: [{ name: "a" }, { name: "b", mountPath: "/run/secrets/a" }] },
      "secrets[1].mountPath",
      /already mounted by secrets\[0\]/,
    );
    rejects(
      {
        ...base,
        volumes: [{ name: "x", mountPath: "/etc/app" }],
        configs: [{ name: "app", mountPath: "/etc/app" }],
      },
      "configs[0].mountPath",
    );
  });

  test("data: base64 values under file-name keys, within the size limit", () => {
    const check = checkerFor(DataWrite);
    assert.deepEqual(check({ data: { "app.conf": "aGk=" } }), { data: { "app.conf": "aGk=" } });
    rejects({ data: {} }, "data", /at least one key/, check);
    rejects({ data: { "a/b": "aGk=" } }, 'data["a/b"]', /letters, digits/, check);
    rejects({ data: { "..": "aGk=" } }, 'data[".."]', undefined, check);
    rejects({ data: { a: "not base64!" } }, "data.a", /base64/, check);
    const big = Buffer.alloc(MAX_DATA_BYTES + 1).toString("base64");
    rejects({ data: { a: big } }, "data", /524289 bytes; the limit is 524288 bytes/, check);
    const exact = Buffer.alloc(MAX_DATA_BYTES).toString("base64");
    assert.doesNotThrow(() => check({ data: { a: exact } }));
  });
});
