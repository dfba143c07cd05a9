// A published port's data path against straight to the pod, on the lab (src/lab/): two hosts as network
// namespaces on one bridge, each with its own engine and worker; on h1 one iperf3 server pod (published as
// 15201:5201) and one pod of the demo image (busybox httpd, published as 8000:8080). Every client runs in the
// root namespace, outside the hosts, and reaches every path through the lab's bridge, so that only what happens
// in the hosts differs:
//   direct            h1 forwards to the pod's address (a temporary route here and one ACCEPT rule on h1)
//   published local   h1's address, h1 has the pod: DNAT only, the pod sees the client's address
//   published remote  h2's address, h2 has no pod: DNAT and masquerade, then across to h1
//   docker -p         h1's address, a plain `docker run -p` of the same image on h1's engine (Docker's DNAT)
// Per path and round, one after the other: iperf3 TCP throughput (bench/iperf3-client.ts), the paced TCP
// connect time to httpd (bench/connect-time.ts, µs: where DNAT and conntrack set up each connection), then
// HTTP requests/s (bench/http-load.ts, bounded by httpd's fork per connection). Rounds rotate the order of the
// paths, so that each path runs in each position as the machine's load moves.
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Lab } from "../src/lab/lab.js";
import { connectTimes } from "./connect-time.js";
import { runHttpLoad, stopHttpLoads } from "./http-load.js";
import { runIperf3, stopIperf3 } from "./iperf3-client.js";
import { PATHS, type PathName, report, type Sample } from "./ports-report.js";
import { answers, cleanUp, deployOnH1, dockerRunOnH1, openDirectPath, undo } from "./ports-setup.js";
import { flag, fmt, numberFlag, printTable, say } from "./stats.js";

const ROUNDS = numberFlag("rounds", 5);
const IPERF_SECONDS = numberFlag("iperf-seconds", 5);
const SECONDS = numberFlag("seconds", 5);
const CONNECTIONS = numberFlag("connections", 10);
const WARMUP_SECONDS = numberFlag("warmup", 2);
const CONNECTS = numberFlag("connects", 300);
const CONNECT_PAUSE_MS = numberFlag("connect-pause", 10);
const PATH_FLAGS: Record<string, PathName> = {
  direct: "direct",
  local: "published local",
  remote: "published remote",
  docker: "docker -p",
};
const LAB_NAME = "bports";
const HELLO = { image: "orchestra/hello:latest", port: 8080, published: 8000, docker: 18000 };
const IPERF3 = { image: "orchestra/iperf3:latest", port: 5201, published: 15201, docker: 15202 };
// Compiled to dist/bench/: the repository's scripts/ is two folders up.
const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-demo-image.sh", import.meta.url));

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

type Target = [host: string, port: number];

async function main(): Promise<void> {
  const paths = chosenPaths();
  await promisify(execFile)(BUILD_SCRIPT, ["hello", "iperf3"], { timeout: 300_000 });
  say(`load average before: ${load()}`);
  // Pushed first, so that it runs last; by name, so that it also takes a lab that Ctrl-C left half made.
  undo.push(() => Lab.down(LAB_NAME));
  const lab = await Lab.up({ name: LAB_NAME, hosts: 2, images: [HELLO.image, IPERF3.image] });
  const web = await deployOnH1(lab, "web", HELLO.image, HELLO.port, HELLO.published);
  const iperf = await deployOnH1(lab, "iperf", IPERF3.image, IPERF3.port, IPERF3.published, ["iperf3", "-s"]);
  const webIp = web.status.ip as string;
  const iperfIp = iperf.status.ip as string;
  await openDirectPath(lab, webIp);
  await openDirectPath(lab, iperfIp);
  if (paths.includes("docker -p")) {
    await dockerRunOnH1(lab, "bench-ports-docker", HELLO.image, HELLO.port, HELLO.docker);
    await dockerRunOnH1(lab, "bench-ports-docker-iperf3", IPERF3.image, IPERF3.port, IPERF3.docker, [
      "iperf3",
      "-s",
    ]);
  }
  const [h1, h2] = [lab.host("h1").address, lab.host("h2").address];
  const http: Record<PathName, Target> = {
    direct: [webIp, HELLO.port],
    "published local": [h1, HELLO.published],
    "published remote": [h2, HELLO.published],
    "docker -p": [h1, HELLO.docker],
  };
  const tcp: Record<PathName, Target> = {
    direct: [iperfIp, IPERF3.port],
    "published local": [h1, IPERF3.published],
    "published remote": [h2, IPERF3.published],
    "docker -p": [h1, IPERF3.docker],
  };
  const url = (path: PathName) => `http://${http[path][0]}:${http[path][1]}/`;
  for (const path of paths) {
    await answers(
      () => fetch(url(path), { signal: AbortSignal.timeout(2000) }).then((r) => r.ok || Promise.reject()),
      url(path),
    );
    // A 1 s iperf3 run is the probe, and the warm-up of the path.
    await answers(() => runIperf3(...tcp[path], 1), `iperf3 at ${tcp[path].join(":")}`);
  }
  say(`pods on h1 (${h1}): httpd ${webIp}, iperf3 ${iperfIp}; h2 at ${h2}`);
  say(
    `${ROUNDS} rounds; per path: iperf3 for ${IPERF_SECONDS} s, ${CONNECTS} TCP connects ${CONNECT_PAUSE_MS} ms apart, ` +
      `HTTP for ${SECONDS} s with ${CONNECTIONS} connections (a new connection per request, busybox httpd)`,
  );
  for (const path of paths)
    await runHttpLoad({ url: url(path), connections: CONNECTIONS, seconds: WARMUP_SECONDS });

  const samples: Sample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate: each path goes first in turn, so that none always runs right after the same other one.
    const shift = (round - 1) % paths.length;
    const order = [...paths.slice(shift), ...paths.slice(0, shift)];
    const rows: string[][] = [];
    for (const path of order) {
      const iperf3 = await runIperf3(...tcp[path], IPERF_SECONDS);
      const connects = await connectTimes(...http[path], CONNECTS, CONNECT_PAUSE_MS);
      const result = await runHttpLoad({ url: url(path), connections: CONNECTIONS, seconds: SECONDS });
      const sample: Sample = {
        round,
        path,
        gbits: iperf3.gbits,
        retransmits: iperf3.retransmits,
        connectP50: connects.p50,
        connectP99: connects.p99,
        rps: result.requestsPerSecond,
        p50: result.p50,
        p99: result.p99,
        failed: result.failed + connects.failed,
      };
      samples.push(sample);
      rows.push([
        String(round),
        path,
        fmt(sample.gbits),
        String(sample.retransmits),
        fmt(sample.connectP50),
        fmt(sample.connectP99),
        fmt(sample.rps),
        String(sample.p99),
        String(sample.failed),
        fmt(iperf3.clientCpu),
        fmt(result.machineBusy),
      ]);
    }
    say("");
    printTable(
      [
        "round",
        "path",
        "iperf3 Gbit/s",
        "retr",
        "connect p50 µs",
        "connect p99 µs",
        "HTTP req/s",
        "HTTP p99 ms",
        "failed",
        "iperf3 client CPU %",
        "machine busy % (HTTP)",
      ],
      rows,
    );
  }
  report(paths, samples);
  say(`load average after: ${load()}`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    stopHttpLoads();
    stopIperf3();
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  say(`error: ${(err as Error).message}`);
} finally {
  stopHttpLoads();
  stopIperf3();
  await cleanUp();
}
