// Metrics, checked with the real Prometheus: a distributed cluster on real Docker and ZooKeeper (API, controller,
// scheduler, worker and DNS, each its own process serving /metrics), scraped by a Prometheus server the test
// starts on loopback; PromQL through Prometheus' HTTP API sees the API's request rate and as many running pods
// as `orchestra get pods` shows; `promtool check metrics` accepts each component's output.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { eventually, httpGet, type OrchestraProcess } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { DistributedRun, NOTHING_LEFT } from "../support/processes.js";

const PROMETHEUS = "/usr/bin/prometheus";
const PROMTOOL = "/usr/bin/promtool";
const NAME = "web";
const REPLICAS = 2;
const STEP_TIMEOUT_MS = 90_000;

let run: DistributedRun;
let prometheusDir: string | undefined;
let prometheus: ChildProcess | undefined;
let prometheusUrl = "";
/** Each component's /metrics, by Prometheus job name. */
const targets = new Map<string, string>();

/** The URL a component printed as `Metrics at URL`. */
function metricsUrl(process: OrchestraProcess): string {
  const url = /Metrics at (\S+)/.exec(process.stdout)?.[1];
  assert.ok(url, `no metrics URL in the output of orchestra ${process.args.join(" ")}: ${process.stdout}`);
  return url;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Prometheus on loopback, scraping every target each second, its data in a temporary folder. */
async function startPrometheus(): Promise<void> {
  prometheusDir = mkdtempSync(join(tmpdir(), "orchestra-prometheus-"));
  const jobs = [...targets].map(([job, url]) => {
    const { host, pathname } = new URL(url);
    return `  - job_name: ${job}\n    metrics_path: ${pathname}\n    static_configs:\n      - targets: ["${host}"]\n`;
  });
  const config = join(prometheusDir, "prometheus.yml");
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${jobs.join("")}`,
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  let output = "";
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(prometheusDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prometheus.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  await eventually(
    async () => {
      assert.equal(prometheus?.exitCode, null, `prometheus exited: ${output}`);
      assert.equal((await httpGet(`${prometheusUrl}/-/ready`)).status, 200);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus;
  prometheus = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
  if (prometheusDir) rmSync(prometheusDir, { recursive: true, force: true });
  prometheusDir = undefined;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant PromQL query through Prometheus' HTTP API. */
async function query(promql: string): Promise<PromResult[]> {
  const { status, body } = await httpGet(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  assert.equal(status, 200, `${promql}: ${body}`);
  const answer = JSON.parse(body) as { status: string; data: { resultType: string; result: PromResult[] } };
  assert.equal(answer.status, "success");
  return answer.data.result;
}

describe("metrics scraped by Prometheus from every component", { timeout: 300_000 }, () => {
  before(async () => {
    for (const tool of [PROMETHEUS, PROMTOOL]) {
      await promisify(execFile)(tool, ["--version"]).catch(() => {
        throw new Error(
          `${tool} is needed (Debian's prometheus package; scripts/ensure-system.sh installs it)`,
        );
      });
    }
    await ensureTestImages();
    run = new DistributedRun({ nodes: ["a"], sessionTimeoutMs: 2000 });
    await run.startZooKeeper();
    const metricsPort = ["--metrics-port", "0"];
    const api = await run.startApi();
    const controller = await run.start(["controller", ...metricsPort], {
      readyText: "controller running on",
    });
    const scheduler = await run.start(["scheduler", ...metricsPort], { readyText: "scheduler running on" });
    const worker = await run.startWorker(run.nodeNames[0] as string, metricsPort);
    const dns = await run.start(["dns", "--host", "127.0.0.1", "--port", "0", ...metricsPort], {
      readyText: "dns running on",
    });
    targets.set("api", `${api.url}/metrics`);
    targets.set("controller", metricsUrl(controller));
    targets.set("scheduler", metricsUrl(scheduler));
    targets.set("worker", metricsUrl(worker));
    targets.set("dns", metricsUrl(dns));
  });

  after(async () => {
    await stopPrometheus();
    await run?.cleanup();
    if (run) assert.deepEqual(await run.leftovers(), NOTHING_LEFT);
  });

  test("promtool check metrics accepts each component's output, all named orchestra_", async () => {
    for (const [job, url] of targets) {
      const { status, body } = await httpGet(url);
      assert.equal(status, 200, `${job}: ${status}`);
      const names = new Set(body.split("\n").flatMap((line) => /^# TYPE (\S+)/.exec(line)?.[1] ?? []));
      assert.ok(names.size > 0, `${job}: no metrics`);
      for (const name of names) assert.match(name, /^orchestra_/, `${job}: ${name}`);
      const checked = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("close", (code) => resolve({ code, output }));
        child.stdin.end(body);
      });
      assert.equal(checked.code, 0, `promtool check metrics on ${job}'s /metrics: ${checked.output}`);
    }
  });

  test("Prometheus scrapes every component; PromQL sees the API's request rate and the running pods", {
    timeout: STEP_TIMEOUT_MS * 2,
  }, async () => {
    await run.cliOk(["deploy", NAME, "--image", DEMO_IMAGE, "--replicas", String(REPLICAS)]);
    await startPrometheus();
    await eventually(
      async () => {
        const { body } = await httpGet(`${prometheusUrl}/api/v1/targets`);
        const active = (
          JSON.parse(body) as { data: { activeTargets: { labels: { job: string }; health: string }[] } }
        ).data.activeTargets;
        const up = active.filter((target) => target.health === "up").map((target) => target.labels.job);
        assert.deepEqual(up.sort(), [...targets.keys()].sort(), `targets: ${body}`);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    // The pods as the user sees them; the leading controller's gauge, as Prometheus scraped it, agrees.
    const runningInGetPods = async () => {
      const table = await run.cliOk(["get", "pods"]);
      return table.split("\n").filter((line) => /\sRunning\s/.test(line)).length;
    };
    await eventually(async () => assert.equal(await runningInGetPods(), REPLICAS), {
      timeoutMs: STEP_TIMEOUT_MS,
    });
    await eventually(
      async () => {
        const running = await query('sum(orchestra_pods{phase="Running"})');
        assert.equal(Number(running[0]?.value[1]), await runningInGetPods());
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    // The CLI's requests above went through the API: Prometheus computes their rate from two scrapes or more.
    await eventually(
      async () => {
        await httpGet(`${run.server}/deployments`);
        const rate = await query("sum(rate(orchestra_api_requests_total[10s]))");
        assert.ok(Number(rate[0]?.value[1]) > 0, `API request rate: ${JSON.stringify(rate)}`);
        const byRoute = await query('sum by (route) (orchestra_api_requests_total{route="/deployments"})');
        assert.ok(
          Number(byRoute[0]?.value[1]) > 0,
          `requests of GET /deployments: ${JSON.stringify(byRoute)}`,
        );
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    // Leadership and the scheduler's work, from their own processes.
    const leaders = await query("orchestra_leader == 1");
    assert.deepEqual(leaders.map((result) => result.metric.election).sort(), ["controller", "scheduler"]);
    const scheduled = await query('orchestra_scheduling_attempts_total{result="scheduled"}');
    assert.ok(Number(scheduled[0]?.value[1]) >= REPLICAS, `scheduled: ${JSON.stringify(scheduled)}`);
    const ready = await query('orchestra_nodes{status="Ready"}');
    assert.equal(Number(ready[0]?.value[1]), 1);
  });
});
