// HTTP through a published port against straight to the pod, on the lab (src/lab/): two hosts as network
// namespaces on one bridge, each with its own engine and worker; one pod of the demo image on h1, published
// on 8000. The client (autocannon, bench/http-load.ts) runs in the root namespace, outside the hosts, and
// reaches every path through the lab's bridge, so that only what happens in the hosts differs:
//   direct            h1 forwards to the pod's address (a temporary route here and one ACCEPT rule on h1)
//   published local   h1's address:8000, h1 has the pod: DNAT only, the pod sees the client's address
//   published remote  h2's address:8000, h2 has no pod: DNAT and masquerade, then across to h1
//   docker -p         h1's address:18000, a plain `docker run -p` of the same image on h1's engine (Docker's DNAT)
// After each path's HTTP run, its TCP connect time (bench/connect-time.ts): the NAT's own cost, in µs, without the
// server's. Rounds rotate the order of the paths, so that each path runs in each position as the load moves.
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { DeploymentSpec, Pod } from "../src/core/types.js";
import { Lab } from "../src/lab/lab.js";
import { ip } from "../src/lab/lab-system.js";
import type { FirewallRule } from "../src/network/kernel.js";
import { connectTimes } from "./connect-time.js";
import { runHttpLoad, stopHttpLoads } from "./http-load.js";
import { flag, fmt, numberFlag, percentile, printTable, say } from "./stats.js";

const ROUNDS = numberFlag("rounds", 5);
const SECONDS = numberFlag("seconds", 10);
const CONNECTIONS = numberFlag("connections", 10);
const WARMUP_SECONDS = numberFlag("warmup", 2);
const CONNECTS = numberFlag("connects", 300);
const CONNECT_PAUSE_MS = numberFlag("connect-pause", 10);
const PATHS = ["direct", "published local", "published remote", "docker -p"] as const;
type PathName = (typeof PATHS)[number];
const PATH_FLAGS: Record<string, PathName> = {
  direct: "direct",
  local: "published local",
  remote: "published remote",
  docker: "docker -p",
};
const LAB_NAME = "bports";
const IMAGE = "orchestra/hello:latest";
const CONTAINER_PORT = 8080;
const PUBLISHED_PORT = 8000;
const DOCKER_PORT = 18000;
const DOCKER_CONTAINER = "bench-ports-docker";
const RULE_COMMENT = "orchestra:bench-ports";
// Compiled to dist/bench/: the repository's scripts/ is two folders up.
const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-demo-image.sh", import.meta.url));

interface Sample {
  round: number;
  path: PathName;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  clientCpu: number;
  machineBusy: number;
  /** TCP connect time, µs. */
  connectP50: number;
  connectP99: number;
}

function chosenPaths(): PathName[] {
  const raw = flag("paths") ?? "direct,local,remote,docker";
  const chosen = raw.split(",").map((name) => {
    const path = PATH_FLAGS[name.trim()];
    if (!path) throw new Error(`--paths: unknown path "${name}" (direct, local, remote, docker)`);
    return path;
  });
  if (!chosen.includes("direct")) throw new Error("--paths: direct is the baseline, keep it");
  return PATHS.filter((path) => chosen.includes(path));
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");

/** What the run made outside the lab's own namespaces, undone in reverse order; lab.down() takes the rest. */
const undo: (() => Promise<unknown>)[] = [];

async function cleanUp(): Promise<void> {
  stopHttpLoads();
  while (undo.length > 0) {
    const step = undo.pop() as () => Promise<unknown>;
    await step().catch((err: Error) => say(`clean-up: ${err.message}`));
  }
}

async function readyPod(lab: Lab, name: string): Promise<Pod> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pods = (await (await fetch(`${lab.apiUrl}/pods?deployment=${name}`)).json()) as Pod[];
    const pod = pods.find((p) => p.status.phase === "Running" && p.status.ready !== false && p.status.ip);
    if (pod) return pod;
    if (Date.now() > deadline)
      throw new Error(`${name} is not ready: ${JSON.stringify(pods.map((p) => p.status))}`);
    await sleep(200);
  }
}

/** Resolves once `url` answers 200 (the workers have seen the pod ready and written their rules). */
async function answers(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} does not answer`);
    await sleep(200);
  }
}

async function deploy(lab: Lab): Promise<Pod> {
  const spec: DeploymentSpec = {
    name: "web",
    image: IMAGE,
    replicas: 1,
    ports: [{ containerPort: CONTAINER_PORT, protocol: "tcp", publishedPort: PUBLISHED_PORT }],
    placement: { constraints: [{ label: "host", operator: "==", value: "h1" }] },
  };
  const response = await fetch(`${lab.apiUrl}/deployments`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  if (response.status >= 300) throw new Error(`PUT web: ${response.status} ${await response.text()}`);
  undo.push(() => fetch(`${lab.apiUrl}/deployments/web`, { method: "DELETE" }));
  return readyPod(lab, "web");
}

/**
 * The direct path from the root namespace: a route to the pod through h1, and on h1 a rule that lets the
 * connection through Docker's FORWARD chain (which only lets in the pod network and published ports). The rule
 * leaves DNATed connections alone, so that the published path still goes through the worker's own rules.
 */
async function openDirectPath(lab: Lab, podIp: string): Promise<void> {
  const h1 = lab.host("h1");
  await ip("route", "replace", `${podIp}/32`, "via", h1.address);
  undo.push(() => ip("route", "del", `${podIp}/32`, "via", h1.address));
  const rule: FirewallRule = {
    table: "filter",
    chain: "DOCKER-USER",
    args: [
      "-s",
      `${lab.state.rootAddress}/32`,
      "-d",
      `${podIp}/32`,
      "-p",
      "tcp",
      "-m",
      "conntrack",
      "!",
      "--ctstate",
      "DNAT",
      "-m",
      "comment",
      "--comment",
      RULE_COMMENT,
      "-j",
      "ACCEPT",
    ],
  };
  const kernel = lab.kernel("h1");
  await kernel.insertRule(rule);
  undo.push(() => kernel.deleteRule(rule));
}

/** A plain `docker run -d -p 18000:8080` of the same image on h1's engine. */
async function startDockerContainer(lab: Lab): Promise<void> {
  const docker = lab.engine("h1").docker;
  const container = await docker.createContainer({
    name: DOCKER_CONTAINER,
    Image: IMAGE,
    ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {} },
    HostConfig: { PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostPort: String(DOCKER_PORT) }] } },
  });
  undo.push(() => container.remove({ force: true }));
  await container.start();
}

async function main(): Promise<void> {
  const paths = chosenPaths();
  await promisify(execFile)(BUILD_SCRIPT, ["hello"], { timeout: 300_000 });
  say(`load average before: ${load()}`);
  // Pushed first, so that it runs last; by name, so that it also takes a lab that Ctrl-C left half made.
  undo.push(() => Lab.down(LAB_NAME));
  const lab = await Lab.up({ name: LAB_NAME, hosts: 2, images: [IMAGE] });
  const pod = await deploy(lab);
  const podIp = pod.status.ip as string;
  await openDirectPath(lab, podIp);
  if (paths.includes("docker -p")) await startDockerContainer(lab);
  const targets: Record<PathName, [string, number]> = {
    direct: [podIp, CONTAINER_PORT],
    "published local": [lab.host("h1").address, PUBLISHED_PORT],
    "published remote": [lab.host("h2").address, PUBLISHED_PORT],
    "docker -p": [lab.host("h1").address, DOCKER_PORT],
  };
  const urls = Object.fromEntries(
    PATHS.map((path) => [path, `http://${targets[path][0]}:${targets[path][1]}/`]),
  ) as Record<PathName, string>;
  for (const path of paths) await answers(urls[path]);
  say(`pod ${pod.name} at ${podIp} on h1 (${lab.host("h1").address}), h2 at ${lab.host("h2").address}`);
  say(
    `${ROUNDS} rounds of ${SECONDS} s per path, ${CONNECTIONS} connections, a new connection per request (busybox httpd), ` +
      `then ${CONNECTS} TCP connects ${CONNECT_PAUSE_MS} ms apart`,
  );
  for (const path of paths) {
    await runHttpLoad({ url: urls[path], connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  }

  const samples: Sample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate: each path goes first in turn, so that none always runs right after the same other one.
    const shift = (round - 1) % paths.length;
    const order = [...paths.slice(shift), ...paths.slice(0, shift)];
    const rows: string[][] = [];
    for (const path of order) {
      const result = await runHttpLoad({ url: urls[path], connections: CONNECTIONS, seconds: SECONDS });
      const connects = await connectTimes(...targets[path], CONNECTS, CONNECT_PAUSE_MS);
      const failed = result.failed + connects.failed;
      samples.push({
        round,
        path,
        rps: result.requestsPerSecond,
        ...result,
        failed,
        connectP50: connects.p50,
        connectP99: connects.p99,
      });
      rows.push([
        String(round),
        path,
        fmt(result.requestsPerSecond),
        String(result.p50),
        String(result.p99),
        fmt(connects.p50),
        fmt(connects.p99),
        String(failed),
        fmt(result.clientCpu),
        fmt(result.machineBusy),
      ]);
    }
    say("");
    printTable(
      [
        "round",
        "path",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "connect p50 µs",
        "connect p99 µs",
        "failed",
        "client CPU %",
        "machine busy %",
      ],
      rows,
    );
  }
  report(paths, samples);
  say(`load average after: ${load()}`);
}

function report(paths: PathName[], samples: Sample[]): void {
  const median = (path: PathName, pick: (s: Sample) => number) =>
    percentile(samples.filter((s) => s.path === path).map(pick), 0.5);
  const baseRps = median("direct", (s) => s.rps);
  const baseP99 = median("direct", (s) => s.p99);
  say("");
  printTable(
    ["median", "requests/s", "p50 ms", "p99 ms", "requests/s vs direct", "p99 − direct (ms)"],
    paths.map((path) => [
      path,
      fmt(median(path, (s) => s.rps)),
      String(median(path, (s) => s.p50)),
      String(median(path, (s) => s.p99)),
      fmt(median(path, (s) => s.rps) / baseRps),
      String(median(path, (s) => s.p99) - baseP99),
    ]),
  );
  if (CONNECTS > 0) {
    const baseConnect = median("direct", (s) => s.connectP50);
    const baseConnect99 = median("direct", (s) => s.connectP99);
    say("");
    printTable(
      ["median", "connect p50 µs", "connect p99 µs", "p50 − direct (µs)", "p99 − direct (µs)"],
      paths.map((path) => [
        path,
        fmt(median(path, (s) => s.connectP50)),
        fmt(median(path, (s) => s.connectP99)),
        fmt(median(path, (s) => s.connectP50) - baseConnect),
        fmt(median(path, (s) => s.connectP99) - baseConnect99),
      ]),
    );
  }
  if (!paths.includes("published local")) return;
  const ratio = median("published local", (s) => s.rps) / baseRps;
  const overhead = median("published local", (s) => s.p99) - baseP99;
  const met = ratio >= 0.9 && overhead < 1;
  say(
    `goal (published local ≥ 90 % of direct requests/s, p99 overhead < 1 ms): ${met ? "met" : "not met"} ` +
      `(${fmt(ratio * 100)} %, ${overhead} ms)`,
  );
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  say(`error: ${(err as Error).message}`);
} finally {
  await cleanUp();
}
