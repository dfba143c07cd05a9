// The pod network across machines, on the lab: three hosts (network namespaces on one bridge, each with its own
// Docker engine and worker), ZooKeeper and the control plane in the root namespace. Pods on different hosts
// reach each other directly and by DNS name, see each other's real addresses, reach the outside masqueraded;
// a fourth host joins; a worker restarts; a removed node's routes go; `lab down` leaves nothing behind.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import type { NodeInfo, Pod } from "../../src/core/types.js";
import type { Lab } from "../../src/lab/lab.js";
import { DEFAULT_LAB_ROOT } from "../../src/lab/lab-plan.js";
import { isEmpty, labLeftovers } from "../../src/lab/lab-teardown.js";
import { podNetworkRulesIn } from "../../src/network/firewall-plan.js";
import { isOrchestraRoute } from "../../src/network/route-plan.js";
import { subnetAddress, subnetContains } from "../../src/runtime/ipv4.js";
import { keys } from "../../src/store/keys.js";
import { openZooKeeperStore, type ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import { eventually, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT } from "../support/images.js";
import { podExec, podGet, startTestLab } from "../support/lab.js";

const STEP_TIMEOUT_MS = 120_000;

let lab: Lab;
let store: ZooKeeperStore;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${lab.apiUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

async function cli(args: string[], input?: string): Promise<string> {
  const result = await runCli(args, { server: lab.apiUrl, input });
  assert.equal(result.code, 0, `orchestra ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The deployment's pods that run and have an address now. */
async function podsNow(deployment: string): Promise<Pod[]> {
  return (await api<Pod[]>(`/pods?deployment=${deployment}`)).filter(
    (pod) => pod.status.phase === "Running" && pod.status.ip && pod.status.containerId,
  );
}

/** The deployment's pods once `count` run with an address, by node. */
async function runningPods(deployment: string, count: number): Promise<Pod[]> {
  return eventually(
    async () => {
      const pods = await podsNow(deployment);
      assert.equal(pods.length, count, `${pods.length} of ${count} ${deployment} pods run`);
      return pods.sort((a, b) => (a.node ?? "").localeCompare(b.node ?? ""));
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

const on = (pod: Pod) => pod.node as string;
const ipOf = (pod: Pod) => pod.status.ip as string;
const idOf = (pod: Pod) => pod.status.containerId as string;

/** `hello from <name>` from `to`, asked by `from`, on another host. */
async function assertReaches(from: Pod, to: Pod): Promise<void> {
  const answer = await podGet(lab, on(from), idOf(from), `http://${ipOf(to)}:${DEMO_PORT}/`);
  assert.deepEqual(answer, { exitCode: 0, output: `hello from ${to.name}\n` }, `${from.name} → ${to.name}`);
}

/** Orchestra's routes in a host's namespace, as `subnet via address`. */
async function routesOf(host: string): Promise<string[]> {
  const routes = await lab.kernel(host).routes();
  return routes
    .filter(isOrchestraRoute)
    .map((route) => `${route.dst} via ${route.gateway}`)
    .sort();
}

describe("one pod network across hosts (the lab)", { timeout: 900_000 }, () => {
  before(async () => {
    lab = await startTestLab(3);
    store = await openZooKeeperStore({
      connectString: lab.storeUrl.replace(/^zk:\/\//, "").replace(/\/orchestra$/, ""),
      root: "/orchestra",
      sessionTimeoutMs: 4000,
    });
  });

  after(async () => {
    await store?.close();
    await lab?.down();
  });

  test("three hosts: web spreads one pod per host; each pod answers every other host's pods, and `web` by name", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const nodes = await api<NodeInfo[]>("/nodes");
    assert.deepEqual(
      nodes.map((node) => node.name),
      ["h1", "h2", "h3"],
    );
    const subnets = nodes.map((node) => node.podSubnet ?? "");
    assert.equal(new Set(subnets).size, 3, `three different subnets: ${subnets.join(", ")}`);
    for (const subnet of subnets) assert.match(subnet, /^10\.42\.[0-2]\.0\/24$/, "a /24 of 10.42.0.0/16");
    await cli(["deploy", "web", "--image", DEMO_IMAGE, "--replicas", "3"]);
    const pods = await runningPods("web", 3);
    assert.deepEqual(pods.map(on), ["h1", "h2", "h3"], "one pod per host");
    for (const pod of pods) {
      const subnet = nodes.find((node) => node.name === pod.node)?.podSubnet ?? "";
      assert.ok(subnetContains(subnet, ipOf(pod)), `${pod.name}: ${ipOf(pod)} in ${subnet}`);
    }
    for (const from of pods) {
      for (const to of pods) if (to !== from) await assertReaches(from, to);
    }
    // By name: the cluster DNS gives every pod's address, and a pod's own name leads to it on its host. (Which of
    // web's addresses `wget http://web/` uses is the client's choice: glibc's resolver, in busybox-static, puts an
    // address of the caller's own /24 first, so a pod with a web pod on its host talks to that one. A pod on a host
    // without one reaches the others: see the fourth host below.)
    for (const from of pods) {
      const lookup = await podExec(lab, on(from), idOf(from), ["timeout", "5", "nslookup", "web"]);
      assert.equal(lookup.exitCode, 0, lookup.output);
      const addresses = [...lookup.output.matchAll(/Address: (10\.42\.\d+\.\d+)/g)].map((m) => m[1]).sort();
      assert.deepEqual(addresses, pods.map(ipOf).sort(), `nslookup web from ${from.name}`);
      const byName = await podGet(lab, on(from), idOf(from), `http://web:${DEMO_PORT}/`);
      assert.match(byName.output, /^hello from web-/, `wget http://web:${DEMO_PORT}/ from ${from.name}`);
      for (const to of pods.filter((pod) => on(pod) !== on(from))) {
        const answer = await podGet(lab, on(from), idOf(from), `http://${to.name}.web:${DEMO_PORT}/`);
        assert.deepEqual(
          answer,
          { exitCode: 0, output: `hello from ${to.name}\n` },
          `${from.name} → ${to.name}.web`,
        );
      }
    }
  });

  test("a pod sees the caller's own pod address; a pod reaches a server outside the pod CIDR, masqueraded", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const [onH1, onH2] = await runningPods("web", 3);
    assert.ok(onH1 && onH2);
    const seen = await podGet(
      lab,
      on(onH1),
      idOf(onH1),
      `http://${ipOf(onH2)}:${DEMO_PORT}/cgi-bin/remote-addr`,
    );
    assert.deepEqual(
      seen,
      { exitCode: 0, output: `${ipOf(onH1)}\n` },
      "the source address is the caller pod's",
    );

    // A server of the test's own, in the root namespace on the lab's bridge: outside the cluster.
    const server: Server = createServer((request, response) =>
      response.end(`${request.socket.remoteAddress}\n`),
    );
    await new Promise<void>((resolve) => server.listen(0, lab.state.rootAddress, resolve));
    try {
      const { port } = server.address() as { port: number };
      const outside = await podGet(lab, on(onH1), idOf(onH1), `http://${lab.state.rootAddress}:${port}/`);
      assert.deepEqual(outside, { exitCode: 0, output: `${lab.host("h1").address}\n` }, "masqueraded as h1");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a fourth host joins: it is routed within 1 s of its registration, and its pods reach and are reached", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    // A pod that can only go to h4: pending until h4 registers, then placed and started there at once.
    await cli(
      ["apply", "-f", "-"],
      `name: edge\nimage: ${DEMO_IMAGE}\nreplicas: 1\nplacement:\n  constraints: [{ label: host, operator: "==", value: h4 }]\n`,
    );
    const [web] = await runningPods("web", 3);
    assert.ok(web);
    let registeredAt = 0;
    const watch = await store.watch<NodeInfo>(keys.nodes, (event) => {
      if (event.type === "put" && event.key === keys.node("h4") && registeredAt === 0)
        registeredAt = Date.now();
    });
    let edge: Pod | undefined;
    try {
      const joining = lab.addHost();
      joining.catch(() => undefined); // awaited below; its failure is reported there
      await eventually(() => assert.ok(registeredAt > 0, "h4 has not registered"), {
        timeoutMs: 90_000,
        intervalMs: 5,
      });
      // The network: every host routes h4's /24, h4 routes theirs, and a pod on h1 reaches h4's bridge.
      const subnet = (await store.get<{ subnet: string }>(keys.nodeSubnet("h4")))?.value.subnet ?? "";
      const routed = await eventually(
        async () => {
          for (const host of ["h1", "h2", "h3"]) {
            assert.ok(
              (await routesOf(host)).includes(`${subnet} via ${lab.host("h4").address}`),
              `${host} → h4`,
            );
          }
          assert.equal((await routesOf("h4")).length, 3, "h4's routes to the others");
          const ping = await podExec(lab, "h1", idOf(web), [
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            subnetAddress(subnet, 1),
          ]);
          assert.equal(ping.exitCode, 0, ping.output);
          return Date.now();
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );
      t.diagnostic(
        `h4 routed both ways and its bridge answering ${routed - registeredAt} ms after it registered`,
      );
      assert.ok(routed - registeredAt <= 1000, `${routed - registeredAt} ms after h4's registration`);

      // Its pod, once it runs (started by h4's fresh engine), reaches and is reached at once.
      let runningAt = 0;
      const reachedAt = await eventually(
        async () => {
          const [started] = await podsNow("edge");
          assert.ok(started, "edge does not run yet");
          edge = started;
          runningAt ||= Date.now();
          await Promise.all([assertReaches(web, started), assertReaches(started, web)]);
          return Date.now();
        },
        { timeoutMs: 90_000, intervalMs: 20 },
      );
      await joining;
      t.diagnostic(
        `h4's pod seen running ${runningAt - registeredAt} ms, reached and reaching ${reachedAt - registeredAt} ms after h4 registered`,
      );
      assert.ok(reachedAt - runningAt <= 1000, `${reachedAt - runningAt} ms after h4's pod ran`);
    } finally {
      watch.stop();
    }
    // h4 has no web pod: `web` by name answers from the pods on the other hosts.
    assert.ok(edge);
    const webPods = new Set((await podsNow("web")).map((pod) => pod.name));
    const answer = await podGet(lab, "h4", idOf(edge), `http://web:${DEMO_PORT}/`);
    assert.equal(answer.exitCode, 0, answer.output);
    assert.ok(webPods.has(answer.output.trim().replace(/^hello from /, "")), answer.output);
    const others = (await api<NodeInfo[]>("/nodes")).filter((node) => node.name !== "h4");
    assert.deepEqual(
      await routesOf("h4"),
      others.map((node) => `${node.podSubnet} via ${lab.host(node.name).address}`).sort(),
    );
  });

  test("a worker killed and restarted keeps its subnet, its containers' addresses and the routes", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = await runningPods("web", 3);
    const onH2 = before.find((pod) => on(pod) === "h2");
    assert.ok(onH2);
    const subnet = (await api<NodeInfo[]>("/nodes")).find((node) => node.name === "h2")?.podSubnet;
    const routes = { h1: await routesOf("h1"), h2: await routesOf("h2") };
    await lab.stopWorker("h2", "SIGKILL");
    await lab.startWorker("h2");
    const nodes = await api<NodeInfo[]>("/nodes");
    assert.equal(nodes.find((node) => node.name === "h2")?.podSubnet, subnet, "same subnet");
    const after = await eventually(async () => {
      const pods = await runningPods("web", 3);
      const again = pods.find((pod) => pod.id === onH2.id);
      assert.equal(again?.status.containerId, idOf(onH2), "the same container, adopted");
      return pods;
    });
    assert.equal(after.find((pod) => pod.id === onH2.id)?.status.ip, ipOf(onH2), "the same address");
    assert.deepEqual({ h1: await routesOf("h1"), h2: await routesOf("h2") }, routes, "the same routes");
    const rules = podNetworkRulesIn(
      [...(await lab.kernel("h2").rules("filter")), ...(await lab.kernel("h2").rules("nat"))],
      "h2",
    );
    assert.equal(rules.length, 3, "the firewall rules once, not twice");
    const onH1 = after.find((pod) => on(pod) === "h1");
    assert.ok(onH1);
    await assertReaches(onH1, onH2);
    await assertReaches(onH2, onH1);
  });

  test("a node removed by the operator: its subnet is released and every host's route to it goes", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const h4Subnet = (await api<NodeInfo[]>("/nodes")).find((node) => node.name === "h4")?.podSubnet ?? "";
    const refused = await runCli(["delete", "node", "h4"], { server: lab.apiUrl });
    assert.deepEqual(
      [refused.code, refused.stderr],
      [1, 'error: node "h4" is registered: stop its worker first, then delete the node\n'],
    );
    await lab.stopWorker("h4");
    // Its registration goes with the worker's session.
    const deleted = await eventually(async () => {
      const result = await runCli(["delete", "node", "h4"], { server: lab.apiUrl });
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    });
    assert.equal(deleted, `node/h4 deleted (pod subnet ${h4Subnet} released)\n`);
    await eventually(
      async () => {
        for (const host of ["h1", "h2", "h3"]) {
          const routes = await routesOf(host);
          assert.ok(
            !routes.some((route) => route.startsWith(`${h4Subnet} `)),
            `${host}: ${routes.join(", ")}`,
          );
        }
      },
      { timeoutMs: 1000, intervalMs: 50 },
    );
  });

  test("lab down leaves no namespace, interface, process, container, mount or file behind", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await store.close();
    await lab.down();
    const left = labLeftovers(lab.name, DEFAULT_LAB_ROOT);
    assert.ok(isEmpty(left), JSON.stringify(left));
  });
});
