// One closed-loop HTTP load run with autocannon (its command line, as a child process, so that the load
// generator has its own event loop and the benchmark's process stays idle while it runs). The demo image's
// busybox httpd closes every connection after its answer, so each request is a new TCP connection: its
// latency runs from the connection's first packet to the answer's last byte, and every request is a new
// connection for the kernel's NAT to set up (patches/autocannon+9.0.0.patch makes autocannon reconnect
// before the next request instead of sending it on the closing connection).
import { type ChildProcess, spawn } from "node:child_process";
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
  ok: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failed: number;
}

interface AutocannonReport {
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  latency: { p50: number; p99: number };
  requests: { average: number };
}

const running = new Set<ChildProcess>();

/** Stops load runs still going (on Ctrl-C). */
export function stopHttpLoads(): void {
  for (const child of running) child.kill("SIGKILL");
}

export function runHttpLoad(load: HttpLoad): Promise<HttpLoadResult> {
  // -j: the JSON report only; -n: no progress bar.
  const args = [AUTOCANNON, "-j", "-n", "-c", String(load.connections), "-d", String(load.seconds), load.url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
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
      running.delete(child);
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
          ok: report["2xx"],
          failed: report.errors + report.timeouts + report.non2xx,
        });
      } catch (err) {
        reject(new Error(`autocannon ${load.url}: no JSON report (${(err as Error).message}): ${stdout}`));
      }
    });
  });
}
