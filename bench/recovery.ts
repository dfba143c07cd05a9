// Recovery after a worker's kill -9 (fault scenario 3, repeated): real ZooKeeper, the control plane as separate
// processes, two workers on one engine; per run, kill → node lost and kill → its pods Running and ready elsewhere.
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { NodeView } from "../src/api/node-view.js";
import type { DeploymentSpec, Pod } from "../src/core/types.js";
import { keys } from "../src/store/keys.js";
import type { Watch } from "../src/store/store.js";
import { podsOf, runningPods, StoreTimeline } from "../test/faults/support-lost-nodes.js";
import { eventually, httpGet, type OrchestraProcess } from "../test/support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../test/support/images.js";
import { DistributedRun } from "../test/support/processes.js";
import { fmt, numberFlag, percentile, printTable, say } from "./stats.js";

const RUNS = numberFlag("runs", 10);
const REPLICAS = numberFlag("replicas", 4);
/** T in seconds; the test ZooKeeper (tick 200 ms) grants sessions of 0.4 to 4 s. */
const SESSION_TIMEOUT_S = numberFlag("session-timeout", 2);
/** How long one phase of a run (move, settle) may take before the benchmark gives up. */
const PHASE_TIMEOUT_MS = numberFlag("timeout", 60) * 1000;
const DEPLOYMENT = "recovery";
/** As in the fault test: the demo image exits on SIGTERM, so stale containers go within the grace. */
const WORKER_ARGS = ["--stop-grace", "2"];
/** Quiet time after the cluster is steady, so that the next kill does not race the last clean-up writes. */
const SETTLE_MS = 1000;

/** The figures of one run, in ms from the kill -9 (stale: from starting the killed worker again). */
interface RecoveryRun {
  victim: string;
  survivor: string;
  moved: number;
  lost: number;
  ready: number;
  answering: number;
  stale: number;
}

/** Pod writes as a store watch saw them: when each pod was first ready on which node. */
class ReadinessLog {
  private readonly seen: { at: number; id: string; node?: string; ready: boolean }[] = [];
  private watch?: Watch<Pod>;

  async start(run: DistributedRun): Promise<void> {
    const store = await run.storeClient();
    this.watch = await store.watch<Pod>(keys.pods, (event) => {
      if (event.type !== "put") return;
      const { id, node, status } = event.value;
      const ready = status.phase === "Running" && status.ready === true && Boolean(status.containerId);
      this.seen.push({ at: Date.now(), id, node, ready });
    });
  }

  stop(): void {
    this.watch?.stop();
  }

  /** When pod `id` was first written ready on `node` at or after `since`. */
  readyAt(id: string, node: string, since: number): number | undefined {
    return this.seen.find((s) => s.id === id && s.node === node && s.ready && s.at >= since)?.at;
  }
}

let run: DistributedRun | undefined;
let readiness: ReadinessLog | undefined;
let timeline: StoreTimeline | undefined;
let cleaning: Promise<void> | undefined;

/** Stops the watches and removes every process, container, network and folder of the run; once. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    readiness?.stop();
    timeline?.stop();
    if (!run) return;
    try {
      await run.cleanup();
    } catch {
      // A worker killed mid-removal may leave a container removal in flight: try once more.
      await sleep(3000);
      await run.cleanup();
    }
  })();
  return cleaning;
}

for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.once(name, () => {
    process.stderr.write(`\n${name}: cleaning up...\n`);
    cleanup().then(
      () => process.exit(130),
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
  });
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
}

async function putDeployment(cluster: DistributedRun, spec: DeploymentSpec): Promise<void> {
  const response = await fetch(`${cluster.server}/deployments`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  if (response.status >= 300)
    throw new Error(`PUT /deployments: ${response.status} ${await response.text()}`);
}

async function readyNodes(cluster: DistributedRun): Promise<string[]> {
  const nodes = await cluster.api<NodeView[]>("/nodes");
  return nodes.filter((n) => n.ready).map((n) => n.name);
}

/** Resolves once every pod of `ids` answers HTTP on the address the API gives it now; returns when. */
async function allAnswer(cluster: DistributedRun, ids: string[]): Promise<number> {
  return eventually(
    async () => {
      const pods = (await podsOf(cluster, DEPLOYMENT)).filter((p) => ids.includes(p.id));
      const answers = await Promise.all(
        pods.map((p) =>
          httpGet(`http://${p.status.ip}:${DEMO_PORT}/`, 1000).then(
            (r) => r.status,
            () => 0,
          ),
        ),
      );
      if (pods.length !== ids.length || answers.some((status) => status !== 200))
        throw new Error(`HTTP answers of the moved pods: ${JSON.stringify(answers)}`);
      return Date.now();
    },
    { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 25 },
  );
}

/**
 * Steady again after the killed worker returned: both nodes registered and ready, no container of the
 * deployment left on the returned node, and exactly one running container per pod, all on `holder`.
 */
async function steady(cluster: DistributedRun, returned: string, holder: string): Promise<number> {
  return eventually(
    async () => {
      const nodes = await readyNodes(cluster);
      if (nodes.length !== 2) throw new Error(`ready nodes: ${nodes.join(", ")}`);
      const containers = (await cluster.containers({ "orchestra.deployment": DEPLOYMENT })).filter(
        (c) => c.running,
      );
      const stale = containers.filter((c) => c.labels["orchestra.node"] === returned);
      if (stale.length > 0) throw new Error(`stale containers on ${returned}: ${stale.length}`);
      const perPod = new Set(containers.map((c) => c.labels["orchestra.pod"]));
      const pods = await podsOf(cluster, DEPLOYMENT);
      const placed = pods.filter((p) => p.node === holder && p.status.ready === true);
      if (containers.length !== REPLICAS || perPod.size !== REPLICAS || placed.length !== REPLICAS)
        throw new Error(`${containers.length} containers for ${perPod.size} pods, ${placed.length} ready`);
      return Date.now();
    },
    { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 100 },
  );
}

/** One round: kill -9 the worker holding every pod, time the move, start it again and wait for a steady cluster. */
async function round(
  cluster: DistributedRun,
  workers: Map<string, OrchestraProcess>,
  events: { timeline: StoreTimeline; readiness: ReadinessLog },
): Promise<RecoveryRun> {
  const pods = await podsOf(cluster, DEPLOYMENT);
  const victim = pods[0]?.node as string;
  const survivor = cluster.nodeNames.find((n) => n !== victim) as string;
  const moving = pods.map((p) => p.id);
  if (pods.some((p) => p.node !== victim)) throw new Error("the pods are not all on one node");

  const killedAt = Date.now();
  await workers.get(victim)?.terminate("SIGKILL");
  const lostAt = await eventually(
    () => {
      const at = events.timeline.nodeChangeAt(victim, "node-delete", killedAt);
      if (at === undefined) throw new Error(`${victim}'s registration is still there`);
      return at;
    },
    { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 50 },
  );
  const readyAt = await eventually(
    () => {
      const times = moving.map((id) => events.readiness.readyAt(id, survivor, killedAt));
      if (times.some((t) => t === undefined))
        throw new Error(`not all ready on ${survivor}: ${events.timeline.describe(killedAt, moving)}`);
      return Math.max(...(times as number[]));
    },
    { timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 50 },
  );
  const answeredAt = await allAnswer(cluster, moving);

  const restartedAt = Date.now();
  workers.set(victim, await cluster.startWorker(victim, WORKER_ARGS));
  const steadyAt = await steady(cluster, victim, survivor);
  await sleep(SETTLE_MS);
  return {
    victim,
    survivor,
    moved: moving.length,
    lost: lostAt - killedAt,
    ready: readyAt - killedAt,
    answering: answeredAt - killedAt,
    stale: steadyAt - restartedAt,
  };
}

async function main(): Promise<void> {
  const sessionTimeoutMs = Math.round(SESSION_TIMEOUT_S * 1000);
  say(`load average before: ${load()}`);
  await ensureTestImages();
  const cluster = new DistributedRun({ nodes: ["a", "b"], sessionTimeoutMs });
  run = cluster;
  const results: RecoveryRun[] = [];
  try {
    await cluster.startZooKeeper();
    timeline = new StoreTimeline(await cluster.storeClient());
    await timeline.start();
    readiness = new ReadinessLog();
    await readiness.start(cluster);
    await Promise.all([cluster.startApi(), cluster.startController(), cluster.startScheduler()]);
    // Every pod on one worker first, so that every run moves all R pods (no rebalancing moves them back).
    const [first, second] = cluster.nodeNames as [string, string];
    const workers = new Map<string, OrchestraProcess>();
    workers.set(first, await cluster.startWorker(first, WORKER_ARGS));
    await eventually(async () => {
      if ((await readyNodes(cluster)).length !== 1) throw new Error(`${first} is not registered`);
    });
    await putDeployment(cluster, { name: DEPLOYMENT, image: DEMO_IMAGE, replicas: REPLICAS });
    await runningPods(cluster, DEPLOYMENT, REPLICAS, PHASE_TIMEOUT_MS);
    workers.set(second, await cluster.startWorker(second, WORKER_ARGS));
    await steady(cluster, second, first);
    say(
      `ZooKeeper ${cluster.zookeeper.connectString}, API ${cluster.server}, workers ${cluster.nodeNames.join(", ")}; ` +
        `T = ${SESSION_TIMEOUT_S} s, ${REPLICAS} replicas of ${DEMO_IMAGE}, ${RUNS} runs`,
    );
    const events = { timeline, readiness };
    for (let i = 1; i <= RUNS; i++) {
      const result = await round(cluster, workers, events);
      results.push(result);
      say(
        `run ${i}: kill -9 ${result.victim}: node lost ${fmt(result.lost / 1000)} s, ${result.moved} pods ready on ` +
          `${result.survivor} ${fmt(result.ready / 1000)} s, answering HTTP ${fmt(result.answering / 1000)} s`,
      );
    }
  } finally {
    await cleanup();
    report(results);
    say(`load average after: ${load()}`);
  }
}

function report(results: RecoveryRun[]): void {
  if (results.length === 0) return;
  say("");
  printTable(
    [
      "run",
      "killed",
      "pods moved",
      "node lost s",
      "pods ready elsewhere s",
      "answering HTTP s",
      "stale gone s",
    ],
    results.map((r, i) => [
      String(i + 1),
      r.victim,
      String(r.moved),
      fmt(r.lost / 1000),
      fmt(r.ready / 1000),
      fmt(r.answering / 1000),
      fmt(r.stale / 1000),
    ]),
  );
  say("");
  const summary = (label: string, values: number[]) => [
    label,
    fmt(percentile(values, 0.5) / 1000),
    fmt(Math.max(...values) / 1000),
  ];
  printTable(
    ["from kill -9 to", "p50 s", "max s"],
    [
      summary(
        "(a) node marked lost (registration gone)",
        results.map((r) => r.lost),
      ),
      summary(
        "(b) all its pods Running and ready elsewhere",
        results.map((r) => r.ready),
      ),
      summary(
        "(c) all its pods answering HTTP",
        results.map((r) => r.answering),
      ),
    ],
  );
  say("");
  say(
    `T = ${SESSION_TIMEOUT_S} s (ZooKeeper session timeout), lost-node grace 1.5 s (controller default). ` +
      `"stale gone": from starting the killed worker again to its old containers removed and the cluster steady.`,
  );
  say(
    "peers, defaults: Docker Swarm marks a node down after ~15 s; Nomad 20-30 s (heartbeat grace); " +
      "Kubernetes moves pods after ~5 min 50 s (node-monitor-grace-period 50 s + 300 s not-ready toleration)",
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:recovery failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
