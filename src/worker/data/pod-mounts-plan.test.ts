// A pod's mounts as plain data: named volumes, tmpfs with its size, host paths only under an allowed directory
// (symbolic links followed), configs and secrets bound read-only, and configs as environment variables.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Pod, PodTemplate } from "../../core/types.js";
import { configEnv, hostPathRefusal, planMounts } from "./pod-mounts-plan.js";

function pod(template: Partial<PodTemplate>): Pod {
  return {
    id: "p1",
    name: "db-abcde",
    deployment: "db",
    hash: "h1",
    template: { image: "busybox", ...template },
    status: { phase: "Pending", restarts: 0 },
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
  } as Pod;
}

const none = {
  resolvedHostPaths: new Map<string, string>(),
  allowedHostPaths: [] as string[],
  configDirs: new Map<string, string>(),
  secretDirs: new Map<string, string>(),
};

describe("planMounts", () => {
  test("a named volume is the Docker volume orchestra-<deployment>-<name>; tmpfs keeps its size", () => {
    const plan = planMounts(
      pod({
        volumes: [
          { name: "data", mountPath: "/var/lib/db" },
          { name: "scratch", mountPath: "/scratch", tmpfs: { sizeBytes: 8 * 2 ** 20 } },
          { name: "ro", mountPath: "/ro", readOnly: true },
        ],
      }),
      none,
    );
    assert.deepEqual(plan, {
      ok: true,
      mounts: [
        { type: "volume", source: "orchestra-db-data", target: "/var/lib/db", readOnly: false },
        { type: "tmpfs", target: "/scratch", sizeBytes: 8 * 2 ** 20 },
        { type: "volume", source: "orchestra-db-ro", target: "/ro", readOnly: true },
      ],
    });
  });

  test("a host path outside the allowed directories is refused, naming them", () => {
    const template = { volumes: [{ name: "etc", mountPath: "/host-etc", hostPath: "/etc" }] };
    assert.deepEqual(planMounts(pod(template), none), {
      ok: false,
      reason:
        "volume etc: host path /etc is not under a directory this worker allows (--allow-host-path): it allows none",
    });
    const allowed = { ...none, allowedHostPaths: ["/srv/data", "/mnt"] };
    const refused = planMounts(pod(template), allowed);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : refused.reason, /it allows \/srv\/data, \/mnt$/);
  });

  test("a host path under an allowed directory is bound; /srv/database is not under /srv/data", () => {
    const allowed = { ...none, allowedHostPaths: ["/srv/data"] };
    const ok = planMounts(
      pod({ volumes: [{ name: "h", mountPath: "/h", hostPath: "/srv/data/app", readOnly: true }] }),
      allowed,
    );
    assert.deepEqual(ok, {
      ok: true,
      mounts: [{ type: "bind", source: "/srv/data/app", target: "/h", readOnly: true }],
    });
    assert.equal(hostPathRefusal("/srv/data", "/srv/data", ["/srv/data"]), undefined);
    assert.match(hostPathRefusal("/srv/database", "/srv/database", ["/srv/data"]) ?? "", /not under/);
  });

  test("a symbolic link under an allowed directory that leads out of it is refused", () => {
    const sources = {
      ...none,
      allowedHostPaths: ["/srv/data"],
      resolvedHostPaths: new Map([["/srv/data/link", "/etc"]]),
    };
    const plan = planMounts(
      pod({ volumes: [{ name: "l", mountPath: "/l", hostPath: "/srv/data/link" }] }),
      sources,
    );
    assert.equal(plan.ok, false);
    assert.match(
      plan.ok ? "" : plan.reason,
      /host path \/srv\/data\/link leads to \/etc, which is not under/,
    );
  });

  test("configs with a path and every secret are bound read-only from their files' directories", () => {
    const plan = planMounts(
      pod({
        configs: [
          { name: "app", mountPath: "/etc/app", version: 1 },
          { name: "env-only", env: true, version: 1 },
        ],
        secrets: [
          { name: "db-password", version: 2 },
          { name: "tls", mountPath: "/certs", version: 1 },
        ],
      }),
      {
        ...none,
        configDirs: new Map([["app", "/dev/shm/o/p1/configs/app"]]),
        secretDirs: new Map([
          ["db-password", "/dev/shm/o/p1/secrets/db-password"],
          ["tls", "/dev/shm/o/p1/secrets/tls"],
        ]),
      },
    );
    assert.deepEqual(plan, {
      ok: true,
      mounts: [
        { type: "bind", source: "/dev/shm/o/p1/configs/app", target: "/etc/app", readOnly: true },
        {
          type: "bind",
          source: "/dev/shm/o/p1/secrets/db-password",
          target: "/run/secrets/db-password",
          readOnly: true,
        },
        { type: "bind", source: "/dev/shm/o/p1/secrets/tls", target: "/certs", readOnly: true },
      ],
    });
  });

  test("configs with env: true become variables, a later config winning over an earlier one", () => {
    const env = configEnv(
      pod({
        configs: [
          { name: "a", env: true, version: 1 },
          { name: "files", mountPath: "/f", version: 1 },
          { name: "b", env: true, version: 1 },
        ],
      }),
      new Map<string, Record<string, Buffer>>([
        ["a", { LEVEL: Buffer.from("info"), ONLY_A: Buffer.from("1") }],
        ["files", { NOT_ENV: Buffer.from("x") }],
        ["b", { LEVEL: Buffer.from("debug") }],
      ]),
    );
    assert.deepEqual(env, { LEVEL: "debug", ONLY_A: "1" });
  });
});
