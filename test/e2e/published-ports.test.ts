// Published ports on the lab: three hosts (network namespaces with their own engines and workers), the test in the
// root namespace as the outside client. Every host answers on a deployment's published port, served by its own
// pod when it has one (which then sees the client's real address), else by another host's pod, masqueraded;
// a taken port is refused; deleting the deployment frees the port and removes every rule; UDP works too.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import type { Pod } from "../../src/core/types.js";
import type { Lab } from "../../src/lab/lab.js";
import { DEFAULT_LAB_IMAGES } from "../../src/lab/lab.js";
import { sameRule } from "../../src/network/firewall-plan.js";
import { dnatForwardRule } from "../../src/network/published-port-rules.js";
import { eventually, runCli } from "../support/cluster.js";
import {
  DEMO_IMAGE,
  DEMO_PORT,
  ensureUdpEchoImage,
  UDP_ECHO_IMAGE,
  UDP_ECHO_PORT,
} from "../support/images.js";
import { podExec, startTestLab } from "../support/lab.js";

const STEP_TIMEOUT_MS = 120_000;
const HTTP_PORT = 8000;
const UDP_PORT = 9053;

let lab: Lab;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${lab.apiUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

async function cli(args: string[]): Promise<string> {
  const result = await runCli(args, { server: lab.apiUrl });
  assert.equal(result.code, 0, `orchestra ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The deployment's pods once exactly `count` run and are ready (and none is being drained), by node. */
async function readyPods(deployment: string, count: number): Promise<Pod[]> {
  return eventually(
    async () => {
      const pods = await api<Pod[]>(`/pods?deployment=${deployment}`);
      const ready = pods.filter(
        (pod) => pod.status.phase === "Running" && pod.status.ready !== false && pod.status.ip,
      );
      assert.equal(pods.length, count, `${pods.length} pods of ${deployment}, ${count} wanted`);
      assert.equal(ready.length, count, `${ready.length} of ${count} ${deployment} pods ready`);
      return ready.sort((a, b) => (a.node ?? "").localeCompare(b.node ?? ""));
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** GET on a new connection each time (no keep-alive), so that every request is a new pick of a pod. */
function get(address: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, agent: false, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`GET http://${address}:${port}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** `<pod name> <address the pod saw>` from the pod that served a request to `address`'s published port. */
async function who(address: string): Promise<{ pod: string; client: string }> {
  const [pod = "", client = ""] = (await get(address, HTTP_PORT, "/cgi-bin/who")).trim().split(" ");
  return { pod, client };
}

/** One datagram to `address`'s published UDP port; the echo's answer. */
function udpEcho(address: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer from ${address}:${UDP_PORT}`));
    }, 2000);
    socket.on("message", (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send(payload, UDP_PORT, address);
  });
}

const addressOf = (host: string) => lab.host(host).address;
const hostNames = () => lab.hosts.map((host) => host.name);

/** Whether a host's namespace still holds any published-port table or forward rule of Orchestra's. */
async function leftovers(host: string): Promise<string[]> {
  const kernel = lab.kernel(host);
  const tables = (await kernel.nftTables()).filter((table) => table.startsWith("orchestra_ports"));
  const rules = (await kernel.rules("filter")).filter((rule) => sameRule(rule, dnatForwardRule(host)));
  return [...tables, ...rules.map((rule) => rule.args.join(" "))];
}

describe("published ports (the lab)", { timeout: 900_000 }, () => {
  before(async () => {
    await ensureUdpEchoImage();
    lab = await startTestLab(3, { images: [...DEFAULT_LAB_IMAGES, UDP_ECHO_IMAGE] });
  });

  after(async () => {
    await lab?.down();
  });

  test("3 replicas on 3 hosts: 300 requests over the hosts' published ports all succeed and reach every pod; each host serves its own pod, which sees the client's address", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await cli([
      "deploy",
      "web",
      "--image",
      DEMO_IMAGE,
      "--replicas",
      "3",
      "--publish",
      `${HTTP_PORT}:${DEMO_PORT}`,
    ]);
    const pods = await readyPods("web", 3);
    assert.deepEqual(
      pods.map((pod) => pod.node),
      ["h1", "h2", "h3"],
      "one pod per host",
    );
    // The workers follow the store: each host serves its own pod once its worker has seen that pod ready.
    for (const host of hostNames()) {
      const local = pods.find((pod) => pod.node === host)?.name;
      await eventually(async () => assert.equal((await who(addressOf(host))).pod, local), {
        timeoutMs: 10_000,
      });
    }

    const client = lab.state.rootAddress;
    const served = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const host = hostNames()[i % 3] as string;
      const answer = await who(addressOf(host));
      const local = pods.find((pod) => pod.node === host)?.name;
      assert.deepEqual(
        answer,
        { pod: local, client },
        `request ${i} to ${host}: its own pod, seeing ${client}`,
      );
      served.set(answer.pod, (served.get(answer.pod) ?? 0) + 1);
    }
    assert.deepEqual([...served.values()], [100, 100, 100], "every pod served its host's 100 requests");
    const view = await api<{ ports: { publishedPort?: number }[] }>("/deployments/web");
    assert.equal(view.ports[0]?.publishedPort, HTTP_PORT, "GET /deployments/web shows the published port");
  });

  test("scaled to 1: the two hosts without a pod still answer every request, through the remaining pod, masqueraded", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await cli(["scale", "web", "1"]);
    const [pod] = await readyPods("web", 1);
    assert.ok(pod?.node && pod.status.ip);
    const nodes = await api<{ name: string; podSubnet?: string }[]>("/nodes");
    for (const host of hostNames()) {
      const subnet = nodes.find((node) => node.name === host)?.podSubnet ?? "";
      const gateway = subnet.replace(/\.0\/24$/, ".1");
      // The rules follow the store: once the drained pods have left the rotation, all answers come from the one pod.
      await eventually(async () => assert.equal((await who(addressOf(host))).pod, pod.name), {
        timeoutMs: 10_000,
      });
      for (let i = 0; i < 30; i++) {
        const answer = await who(addressOf(host));
        const seen: string = host === pod.node ? lab.state.rootAddress : gateway;
        assert.deepEqual(answer, { pod: pod.name, client: seen }, `request ${i} to ${host}`);
      }
    }
  });

  test("a published port is the cluster's once: another deployment gets a 409 naming the holder; deleting the holder frees it and removes every rule on every host", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const refused = await runCli(
      ["deploy", "other", "--image", DEMO_IMAGE, "--publish", `${HTTP_PORT}:${DEMO_PORT}`],
      { server: lab.apiUrl },
    );
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      new RegExp(`^error: .*published port ${HTTP_PORT}/tcp is already taken by deployment web`),
    );
    assert.equal((await fetch(`${lab.apiUrl}/deployments/other`)).status, 404, "nothing of it was written");

    await cli(["delete", "deployment", "web"]);
    for (const host of hostNames()) {
      await eventually(async () => assert.deepEqual(await leftovers(host), [], `${host}'s rules`), {
        timeoutMs: 10_000,
      });
    }
    await cli(["deploy", "other", "--image", DEMO_IMAGE, "--publish", `${HTTP_PORT}:${DEMO_PORT}`]);
    await readyPods("other", 1);
    await eventually(() => who(addressOf("h1")), { timeoutMs: 10_000 });
    await cli(["delete", "deployment", "other"]);
    for (const host of hostNames()) {
      await eventually(async () => assert.deepEqual(await leftovers(host), [], `${host}'s rules`), {
        timeoutMs: 10_000,
      });
    }
  });

  test("a pod that stops being ready leaves the rotation within 1 s; a rolling update of 4 replicas (maxUnavailable 0) fails no request", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const manifest = (replicas: number, version: string) =>
      [
        "name: checked",
        `image: ${DEMO_IMAGE}`,
        `replicas: ${replicas}`,
        `ports: ["${HTTP_PORT + 1}:${DEMO_PORT}"]`,
        `env: {VERSION: "${version}"}`,
        'healthCheck: {exec: ["cat", "/www/healthz"], intervalSeconds: 1, timeoutSeconds: 3, retries: 3}',
        "strategy: {maxUnavailable: 0, maxSurge: 1}",
      ].join("\n");
    const apply = async (text: string) => {
      const result = await runCli(["apply", "-f", "-"], { server: lab.apiUrl, input: text });
      assert.equal(result.code, 0, result.stderr);
    };
    const whoOn = async (host: string) => {
      const [pod = "", client = ""] = (await get(addressOf(host), HTTP_PORT + 1, "/cgi-bin/who"))
        .trim()
        .split(" ");
      return { pod, client };
    };
    await apply(manifest(3, "1"));
    try {
      await readinessAndRollout(apply, manifest, whoOn);
    } finally {
      await cli(["delete", "deployment", "checked"]);
    }
  });

  /** The rest of the test above: a pod leaving the rotation, then a rolling update. */
  async function readinessAndRollout(
    apply: (text: string) => Promise<void>,
    manifest: (replicas: number, version: string) => string,
    whoOn: (host: string) => Promise<{ pod: string; client: string }>,
  ): Promise<void> {
    const pods = await readyPods("checked", 3);
    const onH1 = pods.find((pod) => pod.node === "h1");
    assert.ok(onH1?.status.containerId);
    await eventually(async () => assert.equal((await whoOn("h1")).pod, onH1.name), { timeoutMs: 10_000 });

    // Its health check fails from now on: once the store says it is not ready, h1 must stop sending to it.
    await podExec(lab, "h1", onH1.status.containerId, ["rm", "/www/healthz"]);
    await eventually(
      async () => {
        const pod = (await api<Pod[]>("/pods?deployment=checked")).find((p) => p.id === onH1.id);
        assert.equal(pod?.status.ready, false, "the store says the pod is not ready");
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const unreadyAt = Date.now();
    let leftAfterMs = Number.POSITIVE_INFINITY;
    while (Date.now() - unreadyAt < 5000) {
      const answer = await whoOn("h1").catch(() => undefined);
      if (answer && answer.pod !== onH1.name) {
        leftAfterMs = Date.now() - unreadyAt;
        break;
      }
    }
    assert.ok(leftAfterMs < 1000, `the unready pod left h1's rotation after ${leftAfterMs} ms`);

    // A rolling update while a client loops over the three hosts: every request succeeds.
    await readyPods("checked", 3);
    await apply(manifest(4, "1"));
    await readyPods("checked", 4);
    let done = false;
    const failures: string[] = [];
    let requests = 0;
    const client = (async () => {
      while (!done) {
        const host = hostNames()[requests++ % 3] as string;
        await whoOn(host).catch((err: Error) => failures.push(`${host}: ${err.message}`));
      }
    })();
    await apply(manifest(4, "2"));
    const status = await runCli(["rollout", "status", "checked", "--timeout", "90s"], { server: lab.apiUrl });
    done = true;
    await client;
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed during the rollout`);
    assert.ok(requests > 50, `${requests} requests during the rollout`);
  }

  test("UDP: a published echo service answers through every host's port", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await cli([
      "deploy",
      "echo",
      "--image",
      UDP_ECHO_IMAGE,
      "--replicas",
      "1",
      "--publish",
      `${UDP_PORT}:${UDP_ECHO_PORT}/udp`,
    ]);
    const [pod] = await readyPods("echo", 1);
    assert.ok(pod);
    for (const host of hostNames()) {
      const answer = await eventually(() => udpEcho(addressOf(host), `ping ${host}`), { timeoutMs: 10_000 });
      assert.match(answer, new RegExp(`^${pod.name} \\S+ ping ${host}$`), `through ${host}`);
      if (host === pod.node)
        assert.equal(answer.split(" ")[1], lab.state.rootAddress, "served locally: the client's address");
    }
    await cli(["delete", "deployment", "echo"]);
    for (const host of hostNames()) {
      await eventually(async () => assert.deepEqual(await leftovers(host), [], `${host}'s rules`), {
        timeoutMs: 10_000,
      });
    }
  });
});
