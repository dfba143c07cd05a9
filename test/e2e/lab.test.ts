// `orchestra lab up` and `orchestra lab down` as a user runs them, and `lab down` after a crash: the lab's engine
// killed with a container running under it, every Orchestra process killed, and its state file gone. Nothing of
// the lab may remain: no namespace, interface, process, container, mount, shim socket, cgroup or file.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Pod } from "../../src/core/types.js";
import { Lab } from "../../src/lab/lab.js";
import { DEFAULT_LAB_ROOT } from "../../src/lab/lab-plan.js";
import { stateFile } from "../../src/lab/lab-state.js";
import { listProcesses } from "../../src/lab/lab-system.js";
import { isEmpty, labLeftovers } from "../../src/lab/lab-teardown.js";
import { eventually, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";

const NAME = `c${randomBytes(3).toString("hex")}`;
const LAB_TIMEOUT_MS = 300_000;

describe("orchestra lab up / down", { timeout: 600_000 }, () => {
  after(async () => {
    await Lab.down(NAME);
  });

  test("lab up prints where the API and the hosts are; a second lab of the same name is refused", {
    timeout: LAB_TIMEOUT_MS,
  }, async () => {
    await ensureTestImages();
    const up = await runCli(["lab", "up", "--hosts", "1", "--name", NAME], { timeoutMs: LAB_TIMEOUT_MS });
    assert.equal(up.code, 0, up.stderr);
    const lines = up.stdout.split("\n");
    assert.match(
      lines[0] ?? "",
      new RegExp(
        `^Lab "${NAME}" is up: 1 host\\(s\\) on 10\\.250\\.\\d+\\.0/24, pods on 10\\.42\\.0\\.0/16$`,
      ),
    );
    const api = /^API: +(http:\/\/127\.0\.0\.1:\d+) /.exec(lines[1] ?? "")?.[1];
    assert.ok(api, up.stdout);
    assert.match(
      up.stdout,
      new RegExp(
        `^h1: +10\\.250\\.\\d+\\.11 +docker -H unix://${DEFAULT_LAB_ROOT}/${NAME}/h1/docker\\.sock`,
        "m",
      ),
    );
    const nodes = await runCli(["get", "nodes"], { server: api });
    assert.match(nodes.stdout, /^h1 +Ready +0 /m);

    const again = await runCli(["lab", "up", "--hosts", "1", "--name", NAME], { timeoutMs: LAB_TIMEOUT_MS });
    assert.deepEqual(
      [again.code, again.stderr],
      [
        1,
        `error: a lab named "${NAME}" exists on this machine: remove it first with orchestra lab down --name ${NAME}\n`,
      ],
    );
  });

  test("lab down after a crash (engine and Orchestra killed, state file gone) leaves nothing behind", {
    timeout: LAB_TIMEOUT_MS,
  }, async () => {
    const lab = Lab.open(NAME);
    assert.equal((await runCli(["deploy", "web", "--image", DEMO_IMAGE], { server: lab.apiUrl })).code, 0);
    const pod = await eventually(
      async () => {
        const [running] = (await (await fetch(`${lab.apiUrl}/pods`)).json()) as Pod[];
        assert.ok(running?.status.containerId, "web does not run yet");
        return running;
      },
      { timeoutMs: 60_000 },
    );
    const containerId = pod.status.containerId as string;
    const shim = listProcesses().find(
      (p) => p.command.includes("containerd-shim") && p.command.includes(containerId),
    );
    assert.ok(shim, "the container's shim runs");

    // The crash: every process of the lab but the container's shim and the container killed at once, the
    // state gone with them.
    const state = lab.state;
    const killed = [
      ...state.components.map((c) => c.pid),
      ...(state.zookeeperPid ? [state.zookeeperPid] : []),
      ...state.hosts.flatMap((h) => [h.workerPid, h.dockerdPid]),
    ].filter((pid): pid is number => pid !== undefined);
    for (const pid of killed) process.kill(pid, "SIGKILL");
    rmSync(stateFile(state.dir));

    const down = await runCli(["lab", "down", "--name", NAME], { timeoutMs: LAB_TIMEOUT_MS });
    assert.deepEqual([down.code, down.stdout, down.stderr], [0, `lab "${NAME}" removed\n`, ""]);
    const left = labLeftovers(NAME, DEFAULT_LAB_ROOT);
    assert.ok(isEmpty(left), JSON.stringify(left));
    assert.ok(!listProcesses().some((p) => p.command.includes(containerId)), "the shim is gone");
    assert.ok(!existsSync(`/proc/${shim.pid}`), "the shim's process is gone");
    for (const controller of readdirSync("/sys/fs/cgroup")) {
      assert.ok(
        !existsSync(join("/sys/fs/cgroup", controller, "docker", containerId)),
        `${controller} cgroup left`,
      );
    }
  });
});
