// Control-plane throughput in simulation: the real Controller, Scheduler and N Workers on FakeRuntime engines
// in one process, on the embedded store (or ZooKeeper with --zk); pods/s from the deployments' write to all Running.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Controller } from "../src/controller/controller.js";
import { podTemplateOf, revisionHash } from "../src/core/revision.js";
import type { Deployment, DeploymentSpec, Pod } from "../src/core/types.js";
import { FakeRuntime } from "../src/runtime/testing/fake/fake-runtime.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { openZooKeeperStore } from "../src/store/zookeeper/zookeeper-store.js";
import { Worker } from "../src/worker/worker.js";
import { startZooKeeper, type ZooKeeperServer } from "../test/support/zookeeper-server.js";
import { flag, fmt, numberFlag, percentile, printTable, say } from "./stats.js";

const IMAGE = "orchestra/hello:latest";
/** Replicas per deployment: the API's limit is 1,000; 100 is a typical service size. */
const REPLICAS_PER_DEPLOYMENT = numberFlag("replicas", 100);
const TIMEOUT_MS = numberFlag("timeout", 180) * 1000;
const START_LATENCY_MS = numberFlag("start-latency", 0);
/** ZooKeeper session timeout: 100 workers in one busy process can starve the heartbeats of a short one. */
const ZK_SESSION_MS = numberFlag("session-timeout", 4) * 1000;

export interface SimResult {
  pods: number;
  nodes: number;
  store: string;
  /** Pods that reached Running before the timeout. */
  running: number;
  seconds: number;
  podsPerSecond: number;
  /** Pod first seen in the watch until seen Running, ms. */
  startupP50: number;
  startupP99: number;
  timedOut: boolean;
}

/** Opens one store session per component, so that they talk only through the store, as in production. */
interface Sessions {
  connect(): Promise<Store>;
  close(): Promise<void>;
  name: string;
}

function embeddedSessions(): Sessions {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-sim-"));
  const backend = EmbeddedBackend.open(dir);
  const stores: Store[] = [];
  return {
    name: "embedded",
    async connect() {
      const store = backend.connect();
      stores.push(store);
      return store;
    },
    async close() {
      for (const store of stores) await store.close();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function zooKeeperSessions(server: ZooKeeperServer, run: number): Sessions {
  const stores: Store[] = [];
  const root = `/bench-${process.pid}-${run}`;
  return {
    name: "zookeeper",
    async connect() {
      const store = await openZooKeeperStore({
        connectString: server.connectString,
        root,
        sessionTimeoutMs: ZK_SESSION_MS,
      });
      stores.push(store);
      return store;
    },
    async close() {
      for (const store of stores) await store.close();
    },
  };
}

function deploymentOf(name: string, replicas: number): Deployment {
  const spec: DeploymentSpec = { name, image: IMAGE, replicas };
  const now = new Date().toISOString();
  return { ...spec, hash: revisionHash(podTemplateOf(spec)), generation: 1, createdAt: now, updatedAt: now };
}

export async function simulate(pods: number, nodes: number, sessions: Sessions): Promise<SimResult> {
  const workers: Worker[] = [];
  let controller: Controller | undefined;
  let scheduler: Scheduler | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    // Workers share one session (one process's connection), as several workers on one host would.
    const workerStore = await sessions.connect();
    const startedAt = performance.now();
    for (let i = 0; i < nodes; i++) {
      const runtime = new FakeRuntime({ name: `sim-${i}`, images: [IMAGE], cpus: 64, memoryBytes: 2 ** 40 });
      if (START_LATENCY_MS > 0) runtime.script({ image: IMAGE }, { startLatencyMs: START_LATENCY_MS });
      const worker = new Worker({
        store: workerStore,
        runtime,
        name: `node-${i}`,
        address: `10.255.${i >> 8}.${i & 255}`,
        network: { name: "orchestra-sim", subnet: `10.${i % 250}.0.0/16` },
        stopGraceSeconds: 0,
      });
      await worker.start();
      workers.push(worker);
    }
    say(`  ${nodes} workers started in ${fmt((performance.now() - startedAt) / 1000)} s`);
    controller = new Controller(await sessions.connect());
    await controller.start();
    scheduler = new Scheduler(await sessions.connect());
    await scheduler.start();

    const watcher = await sessions.connect();
    const firstSeen = new Map<string, number>();
    const latencies: number[] = [];
    const running = new Set<string>();
    let done: () => void = () => {};
    const allRunning = new Promise<void>((resolve) => {
      done = resolve;
    });
    const watch = await watcher.watch<Pod>(keys.pods, (event) => {
      if (event.type !== "put") return;
      const now = performance.now();
      if (!firstSeen.has(event.key)) firstSeen.set(event.key, now);
      if (event.value.status.phase === "Running" && !running.has(event.key)) {
        running.add(event.key);
        latencies.push(now - (firstSeen.get(event.key) as number));
        if (running.size >= pods) done();
      }
    });
    stopWatch = () => watch.stop();

    const t0 = performance.now();
    const writes: Promise<unknown>[] = [];
    for (let made = 0, n = 0; made < pods; n++) {
      const replicas = Math.min(REPLICAS_PER_DEPLOYMENT, pods - made);
      made += replicas;
      writes.push(watcher.create(keys.deployment(`sim-${n}`), deploymentOf(`sim-${n}`, replicas)));
    }
    await Promise.all(writes);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      allRunning.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1000;
    return {
      pods,
      nodes,
      store: sessions.name,
      running: running.size,
      seconds,
      podsPerSecond: running.size / seconds,
      startupP50: percentile(latencies, 0.5),
      startupP99: percentile(latencies, 0.99),
      timedOut,
    };
  } finally {
    stopWatch?.();
    await scheduler?.stop();
    await controller?.stop();
    for (const worker of workers) await worker.stop();
    await sessions.close();
  }
}

async function main(): Promise<void> {
  const useZk = flag("zk") !== undefined;
  const only = flag("only"); // e.g. --only 1000x10, or --only 5000x50 for any other size
  const scenarios: [number, number][] =
    only === undefined
      ? [
          [1_000, 10],
          [1_000, 100],
          [10_000, 100],
        ]
      : [only.split("x").map(Number) as [number, number]];
  let zk: ZooKeeperServer | undefined;
  // Ticks of 2 s allow sessions of 4 to 40 s (see --session-timeout).
  if (useZk) zk = await startZooKeeper({ tickTimeMs: 2000 });
  // Interrupted: stop the ZooKeeper server too, or it outlives us.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void (zk?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const results: SimResult[] = [];
  try {
    let run = 0;
    for (const [pods, nodes] of scenarios) {
      const sessions = zk ? zooKeeperSessions(zk, ++run) : embeddedSessions();
      say(`running ${pods} pods / ${nodes} nodes on ${sessions.name}...`);
      const result = await simulate(pods, nodes, sessions);
      results.push(result);
      say(
        `  ${result.running}/${pods} Running in ${fmt(result.seconds)} s: ${fmt(result.podsPerSecond)} pods/s` +
          (result.timedOut ? ` (TIMED OUT after ${TIMEOUT_MS / 1000} s)` : ""),
      );
    }
  } finally {
    await zk?.stop();
  }
  say("");
  printTable(
    ["store", "pods", "nodes", "running", "seconds", "pods/s", "ms/pod", "startup p50 ms", "startup p99 ms"],
    results.map((r) => [
      r.store,
      String(r.pods),
      String(r.nodes),
      `${r.running}${r.timedOut ? " (timeout)" : ""}`,
      fmt(r.seconds),
      fmt(r.podsPerSecond),
      fmt(1000 / r.podsPerSecond),
      fmt(r.startupP50),
      fmt(r.startupP99),
    ]),
  );
  const small = results.find((r) => r.pods === 1_000 && r.nodes === 100);
  const large = results.find((r) => r.pods === 10_000 && r.nodes === 100);
  if (small && large && !large.timedOut) {
    const ratio = small.podsPerSecond / large.podsPerSecond;
    say(
      `\ncost per pod, 10,000 vs 1,000 pods (100 nodes): ${fmt(ratio)}x (1.0 = flat; >1 = grows with size)`,
    );
  }
  say(`anchors: kube-scheduler CI floor 270 pods/s; goal 2,000 pods/s embedded, 1,000 on ZooKeeper`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:sim failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
