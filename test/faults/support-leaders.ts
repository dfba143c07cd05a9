// Helpers of the leader-failover and restart fault tests: who leads, scaling through the API, a sampler of
// Docker's container count, recorders of Docker's container events and of node registration gaps, and the
// RELIABILITY figure lines.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { ApiClient } from "../../src/cli/api-client.js";
import { specOf } from "../../src/core/validation.js";
import { baseName, type Watch } from "../../src/store/store.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import type { OrchestraProcess } from "../support/cluster.js";
import { type DistributedRun, logLines } from "../support/processes.js";

/** T: the ZooKeeper session timeout every component of these tests runs with (the default is 4000 ms). */
export const SESSION_TIMEOUT_MS = 2000;

/** How to reproduce a figure: the fault suite filtered to the scenario's tests. */
export function reproduce(pattern: string): string {
  return `npm run test:faults -- --test-name-pattern="${pattern}"`;
}

/** Prints one `RELIABILITY <scenario> | <bound> | <measured> | <command>` line on stdout. */
export function printReliability(scenario: string, bound: string, measured: string, command: string): void {
  process.stdout.write(`RELIABILITY ${scenario} | ${bound} | ${measured} | ${command}\n`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The candidate name a controller or scheduler process stands in its election under (from its logs). */
export function candidateOf(component: OrchestraProcess): string {
  const candidate = logLines(component).find((line) => typeof line.candidate === "string")?.candidate;
  assert.equal(typeof candidate, "string", `no candidate in the logs of process ${component.pid}`);
  return candidate as string;
}

/** The one process of `candidates` that the store names as the leader of `election`. */
export async function leaderAmong(
  store: ZooKeeperStore,
  election: string,
  candidates: OrchestraProcess[],
): Promise<OrchestraProcess> {
  const leader = await store.leader(election);
  const found = candidates.find((c) => c.running && candidateOf(c) === leader);
  assert.ok(found, `the ${election} leader ${leader} is none of the running processes`);
  return found;
}

/** Sets the replicas of a deployment through the API (like `orchestra scale`, without a CLI process's start-up). */
export async function scaleTo(run: DistributedRun, name: string, replicas: number): Promise<void> {
  const client = new ApiClient({ server: run.server, timeoutMs: 5000 });
  const current = await client.getDeployment(name);
  await client.putDeployment({ ...specOf(current), replicas }, { ifMatchGeneration: current.generation });
}

/** A moment at which Docker held more containers of the deployment than allowed. */
export interface CountViolation {
  atMs: number;
  count: number;
  allowed: number;
  containers: string[];
}

/**
 * Counts the containers of one deployment on Docker (running or not, on every node of the run) every
 * `intervalMs`, and remembers every sample above `allowed`, which the test moves as it changes replicas.
 */
export class ContainerCountSampler {
  allowed: number;
  max = 0;
  samples = 0;
  readonly violations: CountViolation[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly run: DistributedRun,
    private readonly deployment: string,
    allowed: number,
    private readonly intervalMs = 100,
  ) {
    this.allowed = allowed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.sample();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async sample(): Promise<void> {
    while (this.running) {
      // The bound that held when the listing started (a scale-up raises it before the change is made).
      const allowed = this.allowed;
      try {
        const containers = await this.run.containers({ "orchestra.deployment": this.deployment });
        this.samples++;
        this.max = Math.max(this.max, containers.length);
        if (containers.length > Math.max(allowed, this.allowed)) {
          this.violations.push({
            atMs: Date.now(),
            count: containers.length,
            allowed,
            containers: containers.map((c) => `${c.name}(${c.state})`),
          });
        }
      } catch {
        // Docker busy for a moment: the next sample counts again.
      }
      await sleep(this.intervalMs);
    }
  }
}

/** One container event of the run, as Docker reported it. */
export interface ContainerEvent {
  action: string;
  id: string;
  name: string;
  node: string;
  timeMs: number;
}

/**
 * Records Docker's container events for the run's containers (Orchestra's label filter on the engine, the
 * run's nodes in here), from start() until stop().
 */
export class DockerEventLog {
  readonly events: ContainerEvent[] = [];
  private stream?: Readable;

  constructor(
    private readonly docker: Docker,
    private readonly nodes: string[],
  ) {}

  async start(): Promise<void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ["container"], label: ["orchestra.managed=true"] },
    })) as unknown as Readable; // dockerode types the stream as a plain NodeJS.ReadableStream
    this.stream = stream;
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) this.add(line);
    });
    stream.on("error", () => undefined); // destroyed by stop()
  }

  stop(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }

  /** Events whose action is one of `actions` (Docker's `exec_*` actions carry a suffix: prefixes match). */
  of(...actions: string[]): ContainerEvent[] {
    return this.events.filter((e) => actions.some((a) => e.action === a || e.action.startsWith(`${a}:`)));
  }

  private add(line: string): void {
    if (line.trim() === "") return;
    let event: {
      Action?: string;
      id?: string;
      timeNano?: number;
      Actor?: { Attributes?: Record<string, string> };
    };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const attributes = event.Actor?.Attributes ?? {};
    const node = attributes["orchestra.node"] ?? "";
    if (!this.nodes.includes(node)) return;
    this.events.push({
      action: event.Action ?? "",
      id: event.id ?? "",
      name: attributes.name ?? "",
      node,
      timeMs: Math.round((event.timeNano ?? 0) / 1e6),
    });
  }
}

/** The log messages a process wrote after its first `offset` log lines. */
export function messagesSince(component: OrchestraProcess, offset: number): string[] {
  return logLines(component)
    .slice(offset)
    .flatMap((line) => (line.msg === undefined ? [] : [line.msg]));
}

/**
 * Follows the registrations under /nodes and measures how long each node of `nodes` was unregistered: the
 * window in which the controller's lost-node grace runs.
 */
export class RegistrationGaps {
  /** Longest absence per node so far, in ms. */
  readonly longestMs = new Map<string, number>();
  private readonly goneSince = new Map<string, number>();
  private watch?: Watch<unknown>;

  constructor(
    private readonly store: ZooKeeperStore,
    private readonly nodes: string[],
  ) {}

  async start(): Promise<void> {
    this.watch = await this.store.watch("/nodes", (event) => {
      const node = baseName(event.key);
      if (!this.nodes.includes(node)) return;
      if (event.type === "delete") {
        if (!this.goneSince.has(node)) this.goneSince.set(node, performance.now());
      } else {
        this.ended(node);
      }
    });
  }

  /** Stops following; a node still unregistered counts until now. */
  stop(): void {
    this.watch?.stop();
    for (const node of [...this.goneSince.keys()]) this.ended(node);
  }

  /** The longest absence of any node, in ms. */
  get longest(): number {
    return Math.max(0, ...this.longestMs.values());
  }

  private ended(node: string): void {
    const since = this.goneSince.get(node);
    if (since === undefined) return;
    this.goneSince.delete(node);
    this.longestMs.set(node, Math.max(this.longestMs.get(node) ?? 0, performance.now() - since));
  }
}
