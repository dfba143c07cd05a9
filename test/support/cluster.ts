// Runs the built `orchestra` CLI as real subprocesses for end-to-end tests: long-running servers (`up`,
// `run ...`), one-shot commands, Docker state read directly, and a cleanup that leaves nothing behind.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { removeDataPath } from "../../src/network/data-path-cleanup.js";
import { HostKernel } from "../../src/network/host-kernel.js";
import { nodeContainers, removeDockerLeftovers } from "./docker-cleanup.js";
import { testPodCidr } from "./pod-cidr.js";

/** The built executable (compiled to dist/test/support/cluster.js: dist/src is two folders up). */
export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

// Whatever happens to the test process, its children must not outlive it.
const liveChildren = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
});

/** A clean environment: the machine's ORCHESTRA_* settings must not leak into the processes under test. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...extra };
}

// ---------------------------------------------------------------------------------------------------------
// Polling with deadlines

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Runs `check` until it returns without throwing, and returns its result. On the deadline, rethrows the
 * last failure, so a test that times out says what it last saw (an assertion's message, not "timeout").
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) {
        if (error instanceof Error) error.message = `after ${timeoutMs} ms: ${error.message}`;
        throw error;
      }
    }
    await sleep(intervalMs);
  }
}

/** GET with a timeout; the body as text. Throws when the server cannot be reached. */
export async function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------------------
// One-shot CLI commands

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `orchestra [--server URL] ...args` to completion (killed after `timeoutMs`). */
export function runCli(
  args: string[],
  options: { server?: string; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  const argv = [CLI, ...(options.server ? ["--server", options.server] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    liveChildren.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

// ---------------------------------------------------------------------------------------------------------
// Long-running processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `orchestra` server process (`up`, `run api`, ...): its URL, its output, and ways to end it. */
export class OrchestraProcess {
  /** The API URL it printed on stdout (empty for components that serve no API). */
  url = "";
  private stdoutText = "";
  private stderrText = "";
  readonly exited: Promise<ExitStatus>;
  private exitStatus?: ExitStatus;

  private constructor(
    readonly args: string[],
    private readonly child: ChildProcess,
  ) {
    liveChildren.add(child);
    child.stdout?.on("data", (chunk: Buffer) => {
      this.stdoutText += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrText += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        liveChildren.delete(child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  /**
   * Spawns `orchestra ...args`. With `waitForApi`, resolves once it printed its API URL on stdout and that
   * URL's /healthz answers 200; otherwise once `readyText` appeared on stdout or stderr.
   */
  static async start(
    args: string[],
    options: { waitForApi?: boolean; readyText?: string; timeoutMs?: number } = {},
  ): Promise<OrchestraProcess> {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv({ ORCHESTRA_LOG_LEVEL: "info" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = new OrchestraProcess(args, child);
    try {
      await started.ready(options.waitForApi ?? true, options.readyText, options.timeoutMs ?? 30_000);
    } catch (error) {
      await started.terminate("SIGKILL");
      throw error;
    }
    return started;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The last lines of its logs, for failure messages. */
  tail(lines = 15): string {
    return this.stderrText.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
  async terminate(signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private async ready(waitForApi: boolean, readyText: string | undefined, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const fail = (why: string) =>
      new Error(
        `orchestra ${this.args.join(" ")}: ${why}\nstdout: ${this.stdoutText}\nstderr: ${this.tail()}`,
      );
    for (;;) {
      if (this.exitStatus) throw fail(`exited early (${JSON.stringify(this.exitStatus)})`);
      if (Date.now() > deadline) throw fail(`not ready after ${timeoutMs} ms`);
      if (!waitForApi) {
        if (readyText && (this.stdoutText.includes(readyText) || this.stderrText.includes(readyText))) return;
      } else {
        const printed = /https?:\/\/[^\s,]+/.exec(this.stdoutText)?.[0];
        if (printed) {
          this.url = printed;
          const health = await httpGet(`${printed}/healthz`).catch(() => undefined);
          if (health?.status === 200) return;
        }
      }
      await sleep(50);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Docker state, read directly from the engine

/** A container as Docker itself reports it. */
export interface ObservedContainer {
  id: string;
  name: string;
  image: string;
  state: string;
  running: boolean;
  labels: Record<string, string>;
  /** Address on the run's network. */
  ip?: string;
}

// ---------------------------------------------------------------------------------------------------------
// A test run: unique node, network and data folder, and everything started for it

let runCounter = 0;

/** Everything one test run starts, named uniquely so that it never touches other containers. */
export class ClusterRun {
  readonly id: string;
  /** The worker's node name: the `orchestra.node` label on every container of this run. */
  readonly nodeName: string;
  readonly network: string;
  /** The run's own pod CIDR, so that it never meets another run's (or the machine's) networks. */
  readonly podCidr = testPodCidr();
  readonly dataDir: string;
  readonly docker = new Docker();
  readonly processes: OrchestraProcess[] = [];
  /** The API of the latest `up`. */
  server = "";

  constructor(prefix = "e2e") {
    this.id = `${prefix}-${process.pid}-${++runCounter}-${randomBytes(3).toString("hex")}`;
    this.nodeName = this.id;
    this.network = `orchestra-${this.id}`;
    this.dataDir = mkdtempSync(join(tmpdir(), `orchestra-${prefix}-`));
  }

  /** `orchestra up` on this run's data folder, node and network, on a free port. */
  async up(extraArgs: string[] = []): Promise<OrchestraProcess> {
    const args = ["up", "--data-dir", join(this.dataDir, "store"), "--api-port", "0"];
    args.push("--name", this.nodeName, "--network", this.network, "--pod-cidr", this.podCidr, ...extraArgs);
    return this.startProcess(args);
  }

  /** Any `orchestra` server process, tracked for cleanup; `server` follows the latest API started. */
  async startProcess(
    args: string[],
    options: { waitForApi?: boolean; readyText?: string; timeoutMs?: number } = {},
  ): Promise<OrchestraProcess> {
    const started = await OrchestraProcess.start(args, options);
    this.processes.push(started);
    if (started.url) this.server = started.url;
    return started;
  }

  /** `orchestra --server <this run's API> ...args`. */
  cli(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return runCli(args, { ...options, server: this.server });
  }

  /** Like cli(), but asserts success (exit 0, nothing on stderr) and returns stdout. */
  async cliOk(args: string[], options: { input?: string } = {}): Promise<string> {
    const result = await this.cli(args, options);
    assert.equal(
      result.code,
      0,
      `orchestra ${args.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`,
    );
    assert.equal(result.stderr, "", `orchestra ${args.join(" ")} wrote to stderr`);
    return result.stdout;
  }

  /** `orchestra ...args -o json`, parsed. */
  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.cliOk([...args, "-o", "json"])) as T;
  }

  /** GET on the API (faster than a CLI subprocess when polling). */
  async api<T>(path: string): Promise<T> {
    const { status, body } = await httpGet(`${this.server}${path}`);
    assert.equal(status, 200, `GET ${path}: ${status} ${body}`);
    return JSON.parse(body) as T;
  }

  /** This run's containers as Docker reports them (stopped ones included), filtered by node label. */
  async containers(labels: Record<string, string> = {}): Promise<ObservedContainer[]> {
    return nodeContainers(this.docker, this.nodeName, this.network, labels);
  }

  /** Whether Docker has a network of this run's name. */
  async networkExists(): Promise<boolean> {
    const networks = await this.docker.listNetworks({ filters: { name: [this.network] } });
    return networks.some((network) => network.Name === this.network);
  }

  /** What this run left behind: running processes, containers, the network. Empty after cleanup(). */
  async leftovers(): Promise<{ processes: number[]; containers: string[]; network: boolean }> {
    return {
      processes: this.processes.filter((p) => p.running).map((p) => p.pid),
      containers: (await this.containers()).map((c) => c.name),
      network: await this.networkExists(),
    };
  }

  /** Kills every process, removes the containers, the network and the data folder. Safe to call twice. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    // Processes first: a live worker would start containers again behind our back.
    await Promise.all(this.processes.map((p) => p.terminate("SIGKILL")));
    const leftovers = await this.containers().catch(() => []);
    problems.push(...(await removeDockerLeftovers(this.docker, leftovers, [this.network])));
    // A `run worker` started on this run's node (e.g. after moving its store) leaves the pod network's rules.
    await removeDataPath(new HostKernel(), [this.nodeName]).catch((error: Error) =>
      problems.push(`firewall rules: ${error.message}`),
    );
    rmSync(this.dataDir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`cleanup of ${this.id} failed: ${problems.join("; ")}`);
  }
}
