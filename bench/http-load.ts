// One closed-loop HTTP load run with autocannon (its command line, as a child process, so that the load
// generator has its own event loop and the benchmark's process stays idle while it runs). The demo image's
// busybox httpd closes every connection after its answer, so each request is a new TCP connection: its
// latency runs from the connection's first packet to the answer's last byte, and every request is a new
// connection for the kernel's NAT to set up (patches/autocannon+9.0.0.patch makes autocannon reconnect
// before the next request instead of sending it on the closing connection).
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const AUTOCANNON = join(
  dirname(createRequire(import.meta.url).resolve("autocannon/package.json")),
  "autocannon.js",
);

export interface HttpLoad {
  url: string;
  connections: number;
  seconds: number;
}

export interface HttpLoadResult {
  /** Answers (any status) per second, averaged over the run's one-second samples. */
  requestsPerSecond: number;
  /** Latency in ms, from autocannon's histogram, which records whole milliseconds (truncated). */
  p50: number;
  p99: number;
  /** Requests written, and 2xx answers. */
  sent: number;
  ok: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failed: number;
  /** The load generator's own CPU time over the run, in % of one core (100 = one core saturated). */
  clientCpu: number;
  /** The whole machine's CPU time in use over the run, in % of all cores (from /proc/stat). */
  machineBusy: number;
}

interface AutocannonReport {
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  latency: { p50: number; p99: number };
  requests: { average: number; sent: number };
}

const running = new Set<ChildProcess>();
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** utime + stime of a process, in ticks; undefined once it is gone. */
function processTicks(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces: count the fields from after its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU ticks so far. */
function machineTicks(): { busy: number; total: number } {
  const cpu = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = cpu.reduce((sum, n) => sum + n, 0);
  // idle and iowait
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total };
}

/** Stops load runs still going (on Ctrl-C). */
export function stopHttpLoads(): void {
  for (const child of running) child.kill("SIGKILL");
}

export function runHttpLoad(load: HttpLoad): Promise<HttpLoadResult> {
  // -j: the JSON report only; -n: no progress bar.
  const args = [AUTOCANNON, "-j", "-n", "-c", String(load.connections), "-d", String(load.seconds), load.url];
  return new Promise((resolve, reject) => {
    const before = machineTicks();
    const started = Date.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    // Sampled while it runs: /proc forgets the process once it has exited and been reaped.
    let clientTicks = 0;
    const sampler = setInterval(() => {
      clientTicks = (child.pid !== undefined ? processTicks(child.pid) : undefined) ?? clientTicks;
    }, 100);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearInterval(sampler);
      running.delete(child);
      const after = machineTicks();
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0) {
        reject(new Error(`autocannon ${load.url} ended with ${signal ?? code}: ${stderr.trim()}`));
        return;
      }
      try {
        const report = JSON.parse(stdout) as AutocannonReport;
        resolve({
          requestsPerSecond: report.requests.average,
          p50: report.latency.p50,
          p99: report.latency.p99,
          sent: report.requests.sent,
          ok: report["2xx"],
          failed: report.errors + report.timeouts + report.non2xx,
          clientCpu: (clientTicks / TICKS / seconds) * 100,
          machineBusy: ((after.busy - before.busy) / (after.total - before.total)) * 100,
        });
      } catch (err) {
        reject(new Error(`autocannon ${load.url}: no JSON report (${(err as Error).message}): ${stdout}`));
      }
    });
  });
}
