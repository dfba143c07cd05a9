// Pod-to-pod throughput and latency across hosts against within one host, on the lab (src/lab/): two hosts as
// network namespaces on one bridge, each with its own engine and worker. An iperf3 server pod on h1; a client pod
// on h1 (same host: one bridge) and one on h2 (across hosts: the pod network's route, the hosts' bridge and the
// firewall rules, no encapsulation). Rounds alternate between the two, so that both see the same machine load.
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { DeploymentSpec, Pod } from "../src/core/types.js";
import { Lab } from "../src/lab/lab.js";
import { fmt, numberFlag, percentile, printTable, say } from "./stats.js";

const ROUNDS = numberFlag("rounds", 5);
const SECONDS = numberFlag("seconds", 5);
const PINGS = numberFlag("pings", 1000);
const IMAGE = "orchestra/iperf3:latest";
// Compiled to dist/bench/: the repository's scripts/ is two folders up.
const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-demo-image.sh", import.meta.url));

interface Sample {
  path: "same host" | "across hosts";
  gbits: number;
  rttMs: number;
}

function deployment(name: string, host: string, command: string[]): DeploymentSpec {
  return {
    name,
    image: IMAGE,
    replicas: 1,
    command,
    placement: { constraints: [{ label: "host", operator: "==", value: host }] },
  };
}

async function runningPod(lab: Lab, name: string): Promise<Pod> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pods = (await (await fetch(`${lab.apiUrl}/pods?deployment=${name}`)).json()) as Pod[];
    const pod = pods.find((p) => p.status.phase === "Running" && p.status.ip && p.status.containerId);
    if (pod) return pod;
    if (Date.now() > deadline)
      throw new Error(`${name} does not run: ${JSON.stringify(pods.map((p) => p.status))}`);
    await sleep(200);
  }
}

async function exec(lab: Lab, pod: Pod, argv: string[]): Promise<string> {
  const runtime = lab.runtime(pod.node as string);
  try {
    const result = await runtime.exec(pod.status.containerId as string, argv, {
      timeoutMs: SECONDS * 1000 + 30_000,
    });
    if (result.exitCode !== 0)
      throw new Error(`${argv.join(" ")} exited ${result.exitCode}: ${result.output}`);
    return result.output;
  } finally {
    await runtime.close();
  }
}

async function measure(lab: Lab, client: Pod, server: Pod, path: Sample["path"]): Promise<Sample> {
  const ip = server.status.ip as string;
  const report = JSON.parse(await exec(lab, client, ["iperf3", "-c", ip, "-t", String(SECONDS), "-J"])) as {
    end: { sum_received: { bits_per_second: number } };
  };
  // -A: the next ping as soon as the reply is in, so the figure is the round trip itself.
  const ping = await exec(lab, client, ["ping", "-A", "-q", "-c", String(PINGS), ip]);
  const avg = /min\/avg\/max = [\d.]+\/([\d.]+)\//.exec(ping)?.[1];
  if (avg === undefined) throw new Error(`no round-trip time in: ${ping}`);
  return { path, gbits: report.end.sum_received.bits_per_second / 1e9, rttMs: Number(avg) };
}

async function main(): Promise<void> {
  await promisify(execFile)(BUILD_SCRIPT, ["iperf3"], { timeout: 300_000 });
  say(
    `load average before: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  const lab = await Lab.up({ name: "bench", hosts: 2, images: [IMAGE] });
  try {
    const specs = [
      deployment("iperf-server", "h1", ["iperf3", "-s"]),
      deployment("client-same", "h1", ["sleep", "86400"]),
      deployment("client-across", "h2", ["sleep", "86400"]),
    ];
    for (const spec of specs) {
      const response = await fetch(`${lab.apiUrl}/deployments`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(spec),
      });
      if (response.status >= 300)
        throw new Error(`PUT ${spec.name}: ${response.status} ${await response.text()}`);
    }
    const [server, same, across] = await Promise.all(specs.map((spec) => runningPod(lab, spec.name)));
    if (!server || !same || !across) throw new Error("the pods did not start");
    say(`server ${server.status.ip} on h1; clients ${same.status.ip} on h1, ${across.status.ip} on h2`);
    const samples: Sample[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which path goes first, so that neither always follows the other.
      const order: [Pod, Sample["path"]][] = [
        [same, "same host"],
        [across, "across hosts"],
      ];
      if (round % 2 === 0) order.reverse();
      for (const [client, path] of order) samples.push(await measure(lab, client, server, path));
    }
    const rows = samples.map((s, i) => [
      String(Math.floor(i / 2) + 1),
      s.path,
      fmt(s.gbits),
      fmt(s.rttMs * 1000),
    ]);
    printTable(["round", "path", "throughput Gbit/s", "round trip µs"], rows);
    const median = (path: Sample["path"], pick: (s: Sample) => number) =>
      percentile(samples.filter((s) => s.path === path).map(pick), 0.5);
    const gSame = median("same host", (s) => s.gbits);
    const gAcross = median("across hosts", (s) => s.gbits);
    const rSame = median("same host", (s) => s.rttMs);
    const rAcross = median("across hosts", (s) => s.rttMs);
    say("");
    printTable(
      ["median", "same host", "across hosts", "across / same"],
      [
        ["throughput (Gbit/s)", fmt(gSame), fmt(gAcross), fmt(gAcross / gSame)],
        ["round trip (µs)", fmt(rSame * 1000), fmt(rAcross * 1000), fmt(rAcross / rSame)],
      ],
    );
    say(
      `load average after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    await lab.down();
  }
}

await main();
