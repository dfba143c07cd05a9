// The Docker runtime against the real engine: the shared contract, the demo image answering HTTP, what the
// engine is told, and the event stream's recovery (against a stand-in engine on a unix socket).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import Docker from "dockerode";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages, TEST_IMAGE } from "../../../test/support/images.js";
import { ContainerStartError, ImageNotFoundError } from "../errors.js";
import { LABEL_MANAGED } from "../labels.js";
import type { RuntimeEvent } from "../runtime.js";
import { runtimeContract } from "../testing/contract.js";
import { DockerRuntime } from "./docker-runtime.js";

runtimeContract("docker", async () => {
  await ensureTestImages();
  return { runtime: new DockerRuntime(), image: TEST_IMAGE };
});

describe("DockerRuntime on the real engine", () => {
  const docker = new Docker({ socketPath: "/var/run/docker.sock" });
  const runtime = new DockerRuntime({ dockerHost: "unix:///var/run/docker.sock" });
  const run = randomBytes(4).toString("hex");
  const network = `orchestra-test-${run}`;
  const subnet = `10.208.${randomBytes(1)[0]}.0/24`;
  const labels = { [LABEL_MANAGED]: "true", "orchestra.test-run": run };

  before(async () => {
    await ensureTestImages();
    await runtime.ensureNetwork({ name: network, subnet });
  });
  after(async () => {
    for (const container of await runtime.list({ labels })) await runtime.remove(container.id);
    await runtime.removeNetwork(network);
    await runtime.close();
  });

  test("the demo image answers HTTP with its pod's name on the IP the runtime reports, and stops at once", async () => {
    const pod = `web-${run}`;
    const info = await runtime.start({
      name: `orchestra-test-${run}-hello`,
      image: DEMO_IMAGE,
      env: { ORCHESTRA_POD_NAME: pod },
      labels,
      network,
      ports: [{ containerPort: DEMO_PORT, protocol: "tcp" }],
    });
    assert.ok(info.ip);
    const body = await fetchWithRetry(`http://${info.ip}:${DEMO_PORT}/`);
    assert.equal(body, `hello from ${pod}\n`);

    // The image traps SIGTERM: stop returns long before the 10 s grace period.
    const began = Date.now();
    await runtime.stop(info.id, { timeoutSeconds: 10 });
    assert.ok(Date.now() - began < 5000, `stop took ${Date.now() - began} ms`);
    assert.equal((await runtime.inspect(info.id))?.exitCode, 0);
  });

  test("without ORCHESTRA_POD_NAME the demo image answers with its hostname", async () => {
    const info = await runtime.start({
      name: `orchestra-test-${run}-hostname`,
      image: DEMO_IMAGE,
      hostname: `host-${run}`,
      labels,
      network,
    });
    assert.equal(await fetchWithRetry(`http://${info.ip}:${DEMO_PORT}/`), `hello from host-${run}\n`);
  });

  test("the engine gets the spec's limits, DNS, env, hostname and no restart policy", async () => {
    const info = await runtime.start({
      name: `orchestra-test-${run}-spec`,
      image: TEST_IMAGE,
      command: ["sleep", "3600"],
      env: { GREETING: "hi there" },
      hostname: "pod-1",
      labels,
      network,
      dns: ["10.208.0.53"],
      dnsSearch: ["cluster.local"],
      resources: { cpu: 250, memory: 64 * 2 ** 20 },
      ports: [{ containerPort: 8080, protocol: "tcp" }],
    });
    const seen = await docker.getContainer(info.id).inspect();
    assert.equal(seen.HostConfig.NanoCpus, 250_000_000);
    assert.equal(seen.HostConfig.Memory, 64 * 2 ** 20);
    assert.deepEqual(seen.HostConfig.Dns, ["10.208.0.53"]);
    assert.deepEqual(seen.HostConfig.DnsSearch, ["cluster.local"]);
    assert.equal(seen.HostConfig.RestartPolicy?.Name, "no");
    assert.equal(seen.Config.Hostname, "pod-1");
    assert.ok(seen.Config.Env.includes("GREETING=hi there"));
    assert.deepEqual(Object.keys(seen.Config.ExposedPorts ?? {}), ["8080/tcp"]);
    assert.deepEqual(Object.keys(seen.NetworkSettings.Networks), [network]);
    const inside = await runtime.exec(info.id, [
      "sh",
      "-c",
      "echo $GREETING; hostname; cat /etc/resolv.conf",
    ]);
    assert.match(inside.output, /^hi there\npod-1\n/);
    assert.match(inside.output, /search cluster\.local/);
  });

  test("a command not found or a missing image: the engine's refusal, marked definitive", async () => {
    await assert.rejects(
      runtime.start({
        name: `orchestra-test-${run}-nocmd`,
        image: TEST_IMAGE,
        command: ["/no/such/command"],
        labels,
        network,
      }),
      (err) => {
        assert.ok(err instanceof ContainerStartError, String(err));
        assert.equal(err.step, "start");
        assert.equal(err.definitive, true);
        assert.match(err.message, /no such file or directory|not found/);
        return true;
      },
    );
    assert.equal(await runtime.inspect(`orchestra-test-${run}-nocmd`), undefined, "nothing left behind");
    // No registry has it, or none is reachable from here: either way a retry meets the same answer.
    await assert.rejects(runtime.ensureImage(`orchestra/no-such-image-${run}:never`), (err) => {
      assert.ok(err instanceof ImageNotFoundError, String(err));
      assert.equal(err.definitive, true, err.message);
      return true;
    });
  });

  test("a container killed behind Orchestra's back is reported within a second", async () => {
    const deaths: RuntimeEvent[] = [];
    const subscription = runtime.events((e) => e.type === "die" && deaths.push(e), { labels });
    try {
      await subscription.ready;
      const info = await runtime.start({
        name: `orchestra-test-${run}-victim`,
        image: TEST_IMAGE,
        command: ["sleep", "3600"],
        labels,
        network,
      });
      const killedAt = Date.now();
      await docker.getContainer(info.id).kill();
      while (!deaths.some((e) => e.id === info.id) && Date.now() - killedAt < 1000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const death = deaths.find((e) => e.id === info.id);
      assert.equal(death?.exitCode, 137);
      assert.equal(death?.name, `orchestra-test-${run}-victim`);
    } finally {
      subscription.stop();
    }
  });

  test("a stopped container the engine refuses to remove does not block its name", async () => {
    const name = `orchestra-test-${run}-stuck`;
    // Asks the engine again at every removal; `runtime` waits its default 30 s before asking about one again.
    const eager = new DockerRuntime({ staleRetryMs: 0 });
    const stuck = await eager.start({
      name,
      image: TEST_IMAGE,
      command: ["sh", "-c", "echo pinned > /pinned"],
      labels,
      network,
    });
    await eventually(async () => assert.equal((await eager.inspect(stuck.id))?.running, false));
    // An immutable file in its writable layer: Docker cannot delete the layer, as with a mount left busy after
    // an engine restart, and answers 500 to every removal.
    const seen = await docker.getContainer(stuck.id).inspect();
    const upper = (seen.GraphDriver.Data as { UpperDir?: string }).UpperDir;
    assert.ok(
      upper,
      `the engine's storage driver (${seen.GraphDriver.Name}) has no writable layer directory`,
    );
    const pinned = join(upper, "pinned");
    await run$("chattr", ["+i", pinned]);
    try {
      const replacement = await eager.start({
        name,
        image: TEST_IMAGE,
        command: ["sleep", "3600"],
        labels,
        network,
      });
      assert.equal(replacement.name, name);
      assert.equal(replacement.running, true);
      const aside = `${name}.stale-${stuck.id.slice(0, 12)}`;
      const leftover = await eager.inspect(stuck.id);
      assert.equal(leftover?.name, aside);
      assert.equal(leftover?.running, false);
      assert.deepEqual(leftover?.labels, stuck.labels);
      // Listed by its labels (so a sweep finds it), never as a running copy.
      const listed = await eager.list({ labels });
      assert.deepEqual(
        listed.filter((c) => c.running && c.name.startsWith(name)).map((c) => c.id),
        [replacement.id],
      );
      assert.ok(listed.some((c) => c.id === stuck.id));

      // Still refused: a success that leaves it where it is, under the same name.
      await eager.remove(stuck.id);
      await runtime.remove(stuck.id);
      assert.equal((await eager.inspect(stuck.id))?.name, aside);
      await run$("chattr", ["-i", pinned]);
      // `runtime` was refused a moment ago: it does not ask again so soon. `eager` does, and it is gone.
      await runtime.remove(stuck.id);
      assert.equal((await eager.inspect(stuck.id))?.name, aside);
      await eager.remove(stuck.id);
      assert.equal(await eager.inspect(stuck.id), undefined);
    } finally {
      await run$("chattr", ["-i", pinned]).catch(() => undefined);
      await eager.close();
    }
  });

  test("a network without masquerade tells the engine so (the multi-host pod network's bridges)", async () => {
    const name = `orchestra-test-${run}-routed`;
    try {
      await runtime.ensureNetwork({ name, subnet: `10.211.${randomBytes(1)[0]}.0/24`, masquerade: false });
      const options = (await docker.getNetwork(name).inspect()).Options as Record<string, string>;
      assert.equal(options["com.docker.network.bridge.enable_ip_masquerade"], "false");
      const plain = (await docker.getNetwork(network).inspect()).Options as Record<string, string> | null;
      assert.equal(plain?.["com.docker.network.bridge.enable_ip_masquerade"], undefined);
    } finally {
      await runtime.removeNetwork(name);
    }
  });

  test("two runtimes racing to create one network end up sharing it", async () => {
    const name = `orchestra-test-${run}-race`;
    const other = new DockerRuntime();
    try {
      const [a, b] = await Promise.all([
        runtime.ensureNetwork({ name, subnet: `10.209.${randomBytes(1)[0]}.0/24` }),
        other.ensureNetwork({ name, subnet: `10.210.${randomBytes(1)[0]}.0/24` }),
      ]);
      assert.deepEqual(a, b);
      const named = await docker.listNetworks({ filters: { name: [name] } });
      assert.equal(named.filter((n) => n.Name === name).length, 1);
    } finally {
      await runtime.removeNetwork(name);
      await other.close();
    }
  });
});

describe("DockerRuntime event stream", () => {
  test("reconnects when the stream breaks, resumes from the last event and skips replayed ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orchestra-engine-"));
    const socketPath = join(dir, "docker.sock");
    const requests: URL[] = [];
    const open: ServerResponse[] = [];
    const first = engineEvent("c1", "start", 1_700_000_000_123_456_000);
    const second = engineEvent("c1", "die", 1_700_000_001_000_000_000, { exitCode: "3" });
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://engine");
      requests.push(url);
      res.writeHead(200, { "content-type": "application/json" });
      if (requests.length === 1) {
        // The engine goes away after one event.
        res.end(`${JSON.stringify(first)}\n`);
      } else {
        // Replays from `since` on (the first event again), then a new one; stays open.
        res.write(`${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
        open.push(res);
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const runtime = new DockerRuntime({ socketPath });
    try {
      const seen: RuntimeEvent[] = [];
      let reconnects = 0;
      const subscription = runtime.events((e) => seen.push(e), {
        labels: { "orchestra.node": "n1" },
        onReconnect: () => reconnects++,
      });
      await subscription.ready;
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));

      assert.deepEqual(
        seen.map((e) => [e.type, e.id, e.exitCode, e.labels]),
        [
          ["start", "c1", undefined, { "orchestra.node": "n1" }],
          ["die", "c1", 3, { "orchestra.node": "n1" }],
        ],
      );
      assert.equal(reconnects, 1);
      assert.equal(requests.length, 2);
      assert.equal(requests[0]?.searchParams.get("since"), null);
      assert.match(requests[1]?.searchParams.get("since") ?? "", /^1700000000\.1234\d{5}$/);
      const filters = JSON.parse(requests[1]?.searchParams.get("filters") ?? "{}");
      assert.deepEqual(filters.label, ["orchestra.node=n1"]);
      assert.deepEqual(filters.type, ["container"]);
    } finally {
      await runtime.close();
      for (const res of open) res.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const run$ = promisify(execFile);

/** Retries `check` until it passes (5 s at most). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function engineEvent(id: string, action: string, timeNano: number, extra: Record<string, string> = {}) {
  return {
    Type: "container",
    Action: action,
    Actor: { ID: id, Attributes: { name: "pod", image: "img", "orchestra.node": "n1", ...extra } },
    time: Math.floor(timeNano / 1e9),
    timeNano,
  };
}

/** The server inside needs a moment after the container starts. */
async function fetchWithRetry(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      return await response.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
