// Cluster DNS end to end on the real Docker engine: `orchestra up` as a subprocess, two deployments, and
// from inside a pod of one, `nslookup` and `wget` of the other by full and bare name, external names
// through forwarding, and answers that follow a scale change within 1 s.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Pod } from "../src/core/types.js";
import { startTestUpstream, type TestUpstream } from "../src/dns/testing/test-support.js";
import { ClusterRun, eventually, type OrchestraProcess } from "./support/cluster.js";
import { DEMO_IMAGE, ensureTestImages, TEST_IMAGE } from "./support/images.js";

const run = promisify(execFile);
const STEP_TIMEOUT_MS = 90_000;

let cluster: ClusterRun;
let orchestraUp: OrchestraProcess;
let upstream: TestUpstream;
/** The DNS server's address: the pod network's gateway, as `orchestra up` printed it. */
let dnsAddress: string;

/** The IPs Docker reports for the running containers of a deployment, sorted. */
async function dockerIps(deployment: string): Promise<string[]> {
  const containers = await cluster.containers({ "orchestra.deployment": deployment });
  return containers
    .filter((container) => container.running && container.ip)
    .map((container) => container.ip as string)
    .sort();
}

/** The one running container of the `client` deployment. */
async function clientContainer(): Promise<string> {
  const [client] = (await cluster.containers({ "orchestra.deployment": "client" })).filter((c) => c.running);
  assert.ok(client, "the client pod runs");
  return client.id;
}

/** Runs a command inside a container; its stdout (stderr too, on failure, in the error). */
async function execIn(container: string, argv: string[]): Promise<string> {
  try {
    const { stdout } = await run("docker", ["exec", container, ...argv], { timeout: 20_000 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${argv.join(" ")} failed: ${failed.message} ${failed.stdout ?? ""} ${failed.stderr ?? ""}`,
    );
  }
}

/** The IPv4 addresses busybox `nslookup` printed for the name (not the server's own `Address: ip:53`). */
async function nslookup(container: string, name: string, type = "A"): Promise<string[]> {
  const output = await execIn(container, ["nslookup", `-type=${type}`, name]);
  return [...output.matchAll(/^Address:\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)]
    .map((match) => match[1] as string)
    .sort();
}

/** What the cluster DNS answers for `name`, asked from this machine at the address pods use. */
async function dig(name: string): Promise<string[]> {
  const { stdout } = await run("dig", [`@${dnsAddress}`, "+short", "+time=2", "+tries=1", name]);
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .sort();
}

/** Ready web pods' IPs as Orchestra reports them, sorted. */
async function storeIps(): Promise<string[]> {
  const pods = await cluster.api<Pod[]>("/pods?deployment=web");
  return pods
    .filter((pod) => pod.status.phase === "Running" && pod.status.ready !== false && pod.status.ip)
    .map((pod) => pod.status.ip as string)
    .sort();
}

/**
 * Scales web to `replicas` and measures how long after Orchestra reports the new set of pods the DNS
 * answers it: both are polled together, so DNS lagging shows as the difference of the first sightings.
 */
async function scaleAndMeasure(replicas: number): Promise<{ ips: string[]; lagMs: number }> {
  await cluster.cliOk(["scale", "web", String(replicas)]);
  let storeSeen: { at: number; ips: string[] } | undefined;
  let dnsSeen: number | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [ips, answer] = await Promise.all([storeIps(), dig("web.cluster.local")]);
    const now = Date.now();
    if (ips.length === replicas && (storeSeen === undefined || storeSeen.ips.join() !== ips.join())) {
      storeSeen = { at: now, ips };
      dnsSeen = undefined;
    }
    if (storeSeen && answer.join() === storeSeen.ips.join()) {
      dnsSeen ??= now;
      // Stable for a moment: no pod still on its way in or out.
      if (now - dnsSeen > 300 && (await dockerIps("web")).join() === storeSeen.ips.join()) {
        return { ips: storeSeen.ips, lagMs: dnsSeen - storeSeen.at };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`web never settled at ${replicas} pods in DNS: store ${storeSeen?.ips.join(",")}`);
}

describe("cluster DNS on the real Docker engine", { timeout: 600_000 }, () => {
  before(async () => {
    await ensureTestImages();
    upstream = await startTestUpstream({
      "example.test A": [{ name: "example.test", type: "A", ttl: 60, data: "192.0.2.1" }],
    });
    cluster = new ClusterRun("dns");
    orchestraUp = await cluster.up(["--stop-grace", "2", "--upstream", `127.0.0.1:${upstream.port}`]);
    const printed = /Cluster DNS: +(\d+\.\d+\.\d+\.\d+):53 for \*\.cluster\.local/.exec(orchestraUp.stdout);
    assert.ok(printed, `orchestra up did not say where DNS runs:\n${orchestraUp.stdout}`);
    dnsAddress = printed[1] as string;
    // The demo serves on $PORT: 80, so that `http://web/` reaches it.
    await cluster.cliOk([
      "deploy",
      "web",
      "--image",
      DEMO_IMAGE,
      "--replicas",
      "2",
      "--env",
      "PORT=80",
      "--port",
      "http:80",
    ]);
    await cluster.cliOk([
      "deploy",
      "client",
      "--image",
      TEST_IMAGE,
      "--replicas",
      "1",
      "--",
      "sleep",
      "3600",
    ]);
    await eventually(
      async () => {
        assert.equal((await dockerIps("web")).length, 2);
        assert.equal((await dockerIps("client")).length, 1);
      },
      { timeoutMs: 60_000 },
    );
  });

  after(async () => {
    await cluster?.cleanup();
    await upstream?.close();
  });

  test("containers resolve through the cluster DNS, with the cluster domain as search domain", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const resolvConf = await execIn(await clientContainer(), ["cat", "/etc/resolv.conf"]);
    assert.match(resolvConf, /^search cluster\.local$/m);
    const [container] = (await cluster.containers({ "orchestra.deployment": "client" })).filter(
      (c) => c.running,
    );
    const inspected = await cluster.docker.getContainer(container?.id ?? "").inspect();
    assert.deepEqual(inspected.HostConfig.Dns, [dnsAddress]);
  });

  test("from a pod of one deployment, the other resolves by full and bare name to the IPs Docker reports", {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const client = await clientContainer();
    const expected = await dockerIps("web");
    await eventually(
      async () => {
        assert.deepEqual(await nslookup(client, "web.cluster.local"), expected);
        assert.deepEqual(await nslookup(client, "web"), expected);
      },
      { timeoutMs: 5000 },
    );
    const [webPod] = (await cluster.containers({ "orchestra.deployment": "web" })).filter((c) => c.running);
    const podName = webPod?.labels["orchestra.pod-name"] ?? "";
    assert.deepEqual(await nslookup(client, `${podName}.web.cluster.local`), [webPod?.ip]);
    const srv = await execIn(client, ["nslookup", "-type=SRV", "_http._tcp.web.cluster.local"]);
    assert.match(srv, new RegExp(`0 10 80 ${podName}\\.web\\.cluster\\.local`));
  });

  test("wget by full and bare name reaches the web pods, spread over them", {
    timeout: STEP_TIMEOUT_MS,
  }, async (t) => {
    const client = await clientContainer();
    const names = (await cluster.containers({ "orchestra.deployment": "web" }))
      .filter((c) => c.running)
      .map((c) => c.labels["orchestra.pod-name"]);
    const answered = new Set<string>();
    for (const url of [
      "http://web.cluster.local/",
      "http://web/",
      "http://web.cluster.local/",
      "http://web/",
    ]) {
      // (busybox-static's wget crashes with -T: execIn's own timeout bounds it.)
      const body = await execIn(client, ["wget", "-qO-", url]);
      const from = /^hello from (\S+)\n$/.exec(body)?.[1];
      assert.ok(from && names.includes(from), `${url} answered ${JSON.stringify(body)}`);
      answered.add(from);
    }
    t.diagnostic(`answered by ${[...answered].join(", ")}`);
    // The answers rotate, and wget takes the first address: successive requests reach different pods.
    assert.equal(answered.size, names.length, `only ${[...answered].join(", ")} answered`);
  });

  test("external names resolve inside pods through forwarding", { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.deepEqual(await nslookup(await clientContainer(), "example.test"), ["192.0.2.1"]);
    assert.ok(upstream.queries.some((query) => query.name === "example.test"));
  });

  test("after a scale change the answers follow within 1 s", { timeout: 180_000 }, async (t) => {
    const client = await clientContainer();
    for (const replicas of [4, 1]) {
      const { ips, lagMs } = await scaleAndMeasure(replicas);
      t.diagnostic(`scaled to ${replicas}: DNS followed ${lagMs} ms after the store`);
      assert.ok(lagMs <= 1000, `DNS followed ${lagMs} ms after the store`);
      assert.deepEqual(ips, await dockerIps("web"));
      assert.deepEqual(await nslookup(client, "web"), ips);
    }
  });
});
