// Helpers of the lost-node fault tests (scenarios 3 and 7): a timeline of node registrations and pod
// bindings from a store watch, a sampler of Docker's running containers per pod, and the RELIABILITY lines.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { NodeInfo, Pod } from "../../src/core/types.js";
import { keys } from "../../src/store/keys.js";
import { baseName, type Watch } from "../../src/store/store.js";
import type { ZooKeeperStore } from "../../src/store/zookeeper/zookeeper-store.js";
import type { DistributedRun } from "../support/processes.js";

/** T: the ZooKeeper session timeout every component of these tests runs with (the default is 4000 ms). */
export const SESSION_TIMEOUT_MS = 2000;

/** How to reproduce the figures: this file alone, compiled. */
export const REPRODUCE = "npm run build && node --test dist/test/faults/lost-nodes.test.js";

/** Prints one `RELIABILITY <scenario> | <bound> | <measured> | <command>` line on stdout. */
export function printReliability(scenario: string, bound: string, measured: string): void {
  process.stdout.write(`RELIABILITY ${scenario} | ${bound} | ${measured} | ${REPRODUCE}\n`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A node registration appearing or vanishing, or a pod's binding changing, with when the test saw it. */
export type StoreChange =
  | { at: number; kind: "node-put" | "node-delete"; node: string }
  | { at: number; kind: "pod"; pod: string; node: string | undefined; phase: string };

/** Everything the store said about /nodes and /pods since start(), in order. */
export class StoreTimeline {
  readonly changes: StoreChange[] = [];
  private readonly watches: Watch<unknown>[] = [];

  constructor(private readonly store: ZooKeeperStore) {}

  async start(): Promise<void> {
    this.watches.push(
      await this.store.watch<NodeInfo>(keys.nodes, (event) => {
        const kind = event.type === "put" ? "node-put" : "node-delete";
        this.changes.push({ at: Date.now(), kind, node: baseName(event.key) });
      }),
      await this.store.watch<Pod>(keys.pods, (event) => {
        if (event.type !== "put") return;
        const { id, node, status } = event.value;
        this.changes.push({ at: Date.now(), kind: "pod", pod: id, node, phase: status.phase });
      }),
    );
  }

  stop(): void {
    for (const watch of this.watches.splice(0)) watch.stop();
  }

  /** When `node`'s registration first vanished (or appeared) at or after `since`. */
  nodeChangeAt(node: string, kind: "node-put" | "node-delete", since: number): number | undefined {
    return this.changes.find((c) => c.kind === kind && c.node === node && c.at >= since)?.at;
  }

  /** The changes since `since` to nodes and to the pods `pods`, with their ms offsets, for diagnostics. */
  describe(since: number, pods: string[]): string {
    return this.changes
      .filter((c) => c.at >= since && (c.kind !== "pod" || pods.includes(c.pod)))
      .map((c) =>
        c.kind === "pod"
          ? `+${c.at - since} ${c.pod.slice(0, 6)} ${c.node ?? "unbound"} ${c.phase}`
          : `+${c.at - since} ${c.kind} ${c.node}`,
      )
      .join("; ");
  }

  /** Pod writes at or after `since` that took a pod off its node. */
  unbindingsSince(since: number): StoreChange[] {
    return this.changes.filter((c) => c.kind === "pod" && c.at >= since && c.node === undefined);
  }
}

/** One look at Docker: pod id → ids of its running containers (of the run's deployment `deployment`). */
export interface ContainerSample {
  at: number;
  running: Map<string, string[]>;
}

/** Polls Docker every `intervalMs` for the run's running containers of one deployment. */
export class ContainerSampler {
  readonly samples: ContainerSample[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly run: DistributedRun,
    private readonly deployment: string,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const containers = await this.run
          .containers({ "orchestra.deployment": this.deployment })
          .catch(() => []);
        const running = new Map<string, string[]>();
        for (const container of containers) {
          const pod = container.labels["orchestra.pod"];
          if (!container.running || !pod) continue;
          running.set(pod, [...(running.get(pod) ?? []), container.id]);
        }
        this.samples.push({ at: Date.now(), running });
        await sleep(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Samples at or after `since` in which some pod had two or more running containers. */
  duplicatesSince(since: number): ContainerSample[] {
    return this.samples.filter((s) => s.at >= since && [...s.running.values()].some((ids) => ids.length > 1));
  }
}

/** The pods of `deployment` as the API serves them. */
export function podsOf(run: DistributedRun, deployment: string): Promise<Pod[]> {
  return run.api<Pod[]>(`/pods?deployment=${deployment}`);
}

/** Waits until `deployment` has `count` running pods, each on a node; returns them. */
export async function runningPods(
  run: DistributedRun,
  deployment: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Pod[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await podsOf(run, deployment);
    const running = pods.filter(
      (p) => p.node !== undefined && p.status.phase === "Running" && p.status.containerId,
    );
    if (pods.length === count && running.length === count) return pods;
    assert.ok(
      Date.now() < deadline,
      `${deployment}: ${running.length}/${count} running after ${timeoutMs} ms: ${JSON.stringify(
        pods.map((p) => [p.name, p.node, p.status.phase, p.status.message]),
      )}`,
    );
    await sleep(100);
  }
}

/** Sends a signal to a process by pid (SIGSTOP/SIGCONT: OrchestraProcess only terminates). */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
