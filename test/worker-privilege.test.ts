// A worker that may not program the pod network (no root, no CAP_NET_ADMIN) says so in one line and exits
// non-zero, before it touches the store or the engine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { CLI } from "./support/cluster.js";

const EXPECTED =
  "error: the pod network needs root or CAP_NET_ADMIN (to set routes and firewall rules): run the worker as root\n";
// Nothing listens there: a worker that got as far as the store would hang or fail differently.
const WORKER = [CLI, "run", "worker", "--store", "zk://127.0.0.1:1", "--name", "unprivileged"];

function runAs(setprivFlags: string[]) {
  const result = spawnSync("setpriv", [...setprivFlags, "--", process.execPath, ...WORKER], {
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? "" },
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("a worker run by an unprivileged user refuses to start, in one line", () => {
  // Allowed to read files whatever the clone's permissions (a checkout under a 0700 folder), nothing more.
  const readAnything = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"];
  assert.deepEqual(runAs(["--reuid=65534", "--regid=65534", "--clear-groups", ...readAnything]), {
    code: 1,
    stdout: "",
    stderr: EXPECTED,
  });
});

test("root without CAP_NET_ADMIN is refused the same way", () => {
  assert.deepEqual(runAs(["--bounding-set=-net_admin", "--inh-caps=-net_admin"]), {
    code: 1,
    stdout: "",
    stderr: EXPECTED,
  });
});
