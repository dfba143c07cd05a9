// Orchestra in bench:docker: an all-in-one (bench/watched-up.ts: `orchestra up` plus a pod watch) started once,
// then per run one PUT of a deployment of N replicas, timed until the engine runs N of its containers, then
// until every pod answers HTTP; pod start-up (created → Running seen through the watch) and the stages in
// between (controller creates, scheduler binds, engine creates and starts, Running seen) from the same run.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import type { Pod } from "../src/core/types.js";
import { LABEL_DEPLOYMENT, LABEL_NODE, LABEL_POD } from "../src/runtime/labels.js";
import { httpGet } from "../test/support/cluster.js";
import { nodeContainers, removeDockerLeftovers } from "../test/support/docker-cleanup.js";
import { TIMEOUT_MS, type Timing } from "./docker-contenders.js";
import type { EngineWatch } from "./engine-watch.js";
import { percentile } from "./stats.js";
import type { PodSighting } from "./watched-up.js";

const CHILD = fileURLToPath(new URL("./watched-up.js", import.meta.url));
const TICKS_PER_SECOND = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface OrchestraTiming extends Timing {
  /** PUT until every pod answers HTTP on `port`, seconds. */
  httpSeconds: number;
  /** Per pod: its createdAt until its watch saw it Running, ms. */
  startup: number[];
  /** Per stage, ms after the PUT: [first, median, last] over the pods. */
  stages: Record<string, [number, number, number]>;
  /** CPU seconds the Orchestra process used from the PUT until N containers ran. */
  cpuSeconds: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export class OrchestraUnderTest {
  readonly node: string;
  readonly network: string;
  private readonly dataDir = mkdtempSync(join(tmpdir(), "orchestra-bench-"));
  private child?: ChildProcess;
  private readonly sightings: PodSighting[] = [];
  private stderr = "";
  server = "";

  /**
   * `dist`: another build's output folder to run instead of this one (for A/B runs of two versions).
   * `cpuProfileDir`: run it under `node --cpu-prof`, the profile written there when it stops.
   */
  constructor(
    private readonly docker: Docker,
    readonly label = "orchestra",
    private readonly dist?: string,
    private readonly cpuProfileDir?: string,
  ) {
    this.node = `bench-${process.pid}-${label}`;
    this.network = `orchestra-bench-${process.pid}-${label}`;
  }

  async start(): Promise<void> {
    const script = this.dist ? join(this.dist, "bench", "watched-up.js") : CHILD;
    const profile = this.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${this.cpuProfileDir}`] : [];
    const args = [...profile, script, join(this.dataDir, "store"), this.node, this.network];
    const child = spawn(process.execPath, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ORCHESTRA_LOG_LEVEL: process.env.ORCHESTRA_LOG_LEVEL ?? "warn" },
    });
    this.child = child;
    let buffered = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith("api ")) this.server = line.slice(4);
        else if (line.startsWith("{")) this.sightings.push(JSON.parse(line) as PodSighting);
      }
    });
    for (let i = 0; !this.server; i++) {
      if (child.exitCode !== null || i > 600) throw new Error(`orchestra up did not start: ${this.stderr}`);
      await sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async deploy(
    watch: EngineWatch,
    image: string,
    port: number,
    n: number,
    name: string,
  ): Promise<OrchestraTiming> {
    const labels = { [LABEL_NODE]: this.node, [LABEL_DEPLOYMENT]: name };
    const cpuBefore = cpuSecondsOf(this.pid);
    const t0 = Date.now();
    try {
      const response = await fetch(`${this.server}/deployments`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, image, replicas: n }),
      });
      if (response.status >= 300)
        throw new Error(`PUT /deployments: ${response.status} ${await response.text()}`);
      const end = await watch.waitRunning(labels, n, t0, TIMEOUT_MS);
      const cpuSeconds = cpuSecondsOf(this.pid) - cpuBefore;
      // Running is reported a moment after the engine's start event; the addresses come with it.
      while (this.seen(name, "running").length < n) {
        if (Date.now() > t0 + TIMEOUT_MS) throw new Error(`pods never all seen Running: ${this.stderr}`);
        await sleep(10);
      }
      const pods = (await (await fetch(`${this.server}/pods?deployment=${name}`)).json()) as Pod[];
      await allAnswer(
        pods.map((pod) => pod.status.ip ?? ""),
        port,
        t0 + TIMEOUT_MS,
      );
      const httpEnd = Date.now();
      return {
        seconds: (end - t0) / 1000,
        starts: watch.matching(labels, t0, "start").map((event) => event.at - t0),
        httpSeconds: (httpEnd - t0) / 1000,
        startup: this.seen(name, "running").map((s) => s.at - s.createdAt),
        stages: this.stages(watch, labels, name, t0),
        cpuSeconds,
      };
    } finally {
      await fetch(`${this.server}/deployments/${name}`, { method: "DELETE" });
      await watch.waitGone(labels, 120_000);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      // SIGTERM first: a CPU profile is written only on a clean exit.
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    const leftovers = await nodeContainers(this.docker, this.node, this.network).catch(() => []);
    const problems = await removeDockerLeftovers(this.docker, leftovers, [this.network]);
    rmSync(this.dataDir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`cleanup: ${problems.join("; ")}`);
  }

  private seen(deployment: string, stage: PodSighting["stage"]): PodSighting[] {
    return this.sightings.filter((s) => s.deployment === deployment && s.stage === stage);
  }

  private stages(watch: EngineWatch, labels: Record<string, string>, name: string, t0: number) {
    const spread = (times: number[]): [number, number, number] => [
      Math.min(...times) - t0,
      percentile(times, 0.5) - t0,
      Math.max(...times) - t0,
    ];
    const pods = new Set(this.seen(name, "created").map((s) => s.pod));
    const engine = (action: "create" | "start") =>
      watch
        .matching(labels, t0, action)
        .filter((event) => pods.has(event.labels[LABEL_POD] ?? ""))
        .map((event) => event.at);
    return {
      "pod created": spread(this.seen(name, "created").map((s) => s.at)),
      "pod bound": spread(this.seen(name, "bound").map((s) => s.at)),
      "container created": spread(engine("create")),
      "container started": spread(engine("start")),
      "Running seen": spread(this.seen(name, "running").map((s) => s.at)),
    };
  }
}

/** Resolves once every address answers HTTP 200 on `port`. */
async function allAnswer(ips: string[], port: number, deadline: number): Promise<void> {
  await Promise.all(
    ips.map(async (ip) => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${ip} never answered HTTP`);
        const answered = await httpGet(`http://${ip}:${port}/`, 1000).then(
          (r) => r.status === 200,
          () => false,
        );
        if (answered) return;
        await sleep(25);
      }
    }),
  );
}
