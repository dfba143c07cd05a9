// Footprint of an idle `orchestra up`: resident memory and CPU over a quiet window, with 0 and with 100 pods
// running (real Docker containers), read from /proc/<pid>/stat and /proc/<pid>/status.
import { readFileSync } from "node:fs";
import type { Pod } from "../src/core/types.js";
import { ClusterRun } from "../test/support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../test/support/images.js";
import { fmt, numberFlag, printTable, say } from "./stats.js";

const WINDOW_S = numberFlag("seconds", 20);
const PODS = numberFlag("pods", 100);
/** USER_HZ: clock ticks per second of utime/stime in /proc/<pid>/stat (100 on Linux x86-64). */
const TICKS_PER_SECOND = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuTicks(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

/** CPU as % of one core over the window, and RSS sampled every second (max and last). */
async function sample(pid: number): Promise<{ cpuPercent: number; rssMax: number; rssEnd: number }> {
  const ticks0 = cpuTicks(pid);
  const t0 = performance.now();
  let rssMax = 0;
  for (let i = 0; i < WINDOW_S; i++) {
    rssMax = Math.max(rssMax, rssMiB(pid));
    await sleep(1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuPercent = ((cpuTicks(pid) - ticks0) / TICKS_PER_SECOND / seconds) * 100;
  return { cpuPercent, rssMax, rssEnd: rssMiB(pid) };
}

async function main(): Promise<void> {
  await ensureTestImages();
  const run = new ClusterRun("footprint");
  const rows: string[][] = [];
  try {
    const proc = await run.up();
    const pid = proc.pid;
    say(`orchestra up, pid ${pid}; settling 5 s, then ${WINDOW_S} s windows`);
    await sleep(5000);
    const idle = await sample(pid);
    rows.push(["0", fmt(idle.rssMax), fmt(idle.rssEnd), fmt(idle.cpuPercent)]);

    await run.cliOk(["deploy", "footprint", "--image", DEMO_IMAGE, "--replicas", String(PODS)]);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const pods = await run.api<Pod[]>("/pods?deployment=footprint");
      if (pods.filter((p) => p.status.phase === "Running").length >= PODS) break;
      if (Date.now() > deadline) throw new Error(`${PODS} pods not Running after 5 min`);
      await sleep(500);
    }
    say(`${PODS} pods Running; settling 5 s`);
    await sleep(5000);
    const busy = await sample(pid);
    rows.push([String(PODS), fmt(busy.rssMax), fmt(busy.rssEnd), fmt(busy.cpuPercent)]);
  } finally {
    // Tried again once: the killed worker may leave a container removal in flight.
    await run.cleanup().catch(async () => {
      await sleep(3000);
      await run.cleanup();
    });
  }
  say("");
  printTable(["pods", "RSS max MiB", "RSS end MiB", "CPU % of one core"], rows);
  say("goal: 120 MB or less and near-zero idle CPU (a k3s server idles near 500 MB)");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:footprint failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
