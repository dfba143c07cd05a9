// Convergence on real Docker: N replicas of orchestra/hello through `orchestra up` until all run and answer HTTP,
// against the same N containers created and started directly through the Engine API in parallel (the baseline).
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import type { Pod } from "../src/core/types.js";
import { ClusterRun, httpGet } from "../test/support/cluster.js";
import { DEMO_IMAGE, DEMO_PORT, ensureTestImages } from "../test/support/images.js";
import { flag, fmt, percentile, printTable, say } from "./stats.js";

const SIZES = (flag("n") ?? "20,50").split(",").map(Number);
const TIMEOUT_MS = 180_000;
const POLL_MS = 25;
const docker = new Docker();

interface Convergence {
  seconds: number;
  /** Pod created (its createdAt) until first seen Running in GET /pods, ms (orchestra only). */
  startup: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once every address answers HTTP 200 on the demo port. */
async function allAnswer(ips: string[], deadline: number): Promise<void> {
  await Promise.all(
    ips.map(async (ip) => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${ip} never answered HTTP`);
        const answered = await httpGet(`http://${ip}:${DEMO_PORT}/`, 1000).then(
          (r) => r.status === 200,
          () => false,
        );
        if (answered) return;
        await sleep(POLL_MS);
      }
    }),
  );
}

/** The physical limit: create and start N containers in parallel on a fresh bridge network, then HTTP. */
async function baseline(n: number): Promise<Convergence> {
  const tag = `bench-${process.pid}-${randomBytes(3).toString("hex")}`;
  const network = await docker.createNetwork({ Name: tag, Driver: "bridge" });
  try {
    const t0 = performance.now();
    const deadline = Date.now() + TIMEOUT_MS;
    const ips = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const container = await docker.createContainer({
          name: `${tag}-${i}`,
          Image: DEMO_IMAGE,
          Env: [`ORCHESTRA_POD_NAME=${tag}-${i}`],
          Labels: { "orchestra-bench": tag },
          HostConfig: { NetworkMode: tag },
        });
        await container.start();
        const info = await container.inspect();
        return info.NetworkSettings.Networks[tag]?.IPAddress ?? "";
      }),
    );
    await allAnswer(ips, deadline);
    return { seconds: (performance.now() - t0) / 1000, startup: [] };
  } finally {
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`orchestra-bench=${tag}`] },
    });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await removeNetwork(network);
  }
}

/**
 * Docker 20.10 sometimes keeps a network's endpoint count above zero after its containers are gone ("has
 * active endpoints" with none listed); only a daemon restart clears it. Retry, then report instead of throwing,
 * so that the original error (if any) is not masked.
 */
async function removeNetwork(network: Docker.Network): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await network.remove();
      return;
    } catch (error) {
      if (attempt >= 5) {
        process.stderr.write(
          `warning: could not remove network ${network.id}: ${(error as Error).message}\n`,
        );
        return;
      }
      await sleep(1000);
    }
  }
}

/** Orchestra: one PUT of a deployment with N replicas to a running `orchestra up`, then HTTP on every pod. */
async function orchestra(run: ClusterRun, n: number, name: string): Promise<Convergence> {
  const t0 = performance.now();
  const t0Wall = Date.now();
  const deadline = t0Wall + TIMEOUT_MS;
  const response = await fetch(`${run.server}/deployments`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, image: DEMO_IMAGE, replicas: n }),
  });
  if (response.status >= 300)
    throw new Error(`PUT /deployments: ${response.status} ${await response.text()}`);
  // No watch over HTTP for pods: poll GET /pods every 25 ms and take the first sighting of Running.
  const seenRunning = new Map<string, number>();
  const createdAt = new Map<string, number>();
  const ips = new Map<string, string>();
  while (seenRunning.size < n) {
    if (Date.now() > deadline)
      throw new Error(`only ${seenRunning.size}/${n} pods Running after the timeout`);
    const pods = await run.api<Pod[]>(`/pods?deployment=${name}`);
    const now = Date.now();
    for (const pod of pods) {
      createdAt.set(pod.id, Date.parse(pod.createdAt));
      if (pod.status.phase === "Running" && pod.status.ip && !seenRunning.has(pod.id)) {
        seenRunning.set(pod.id, now);
        ips.set(pod.id, pod.status.ip);
      }
    }
    await sleep(POLL_MS);
  }
  await allAnswer([...ips.values()], deadline);
  const seconds = (performance.now() - t0) / 1000;
  const startup = [...seenRunning].map(([id, at]) => at - (createdAt.get(id) ?? t0Wall));
  return { seconds, startup };
}

/** ClusterRun.cleanup(), tried again once: the killed worker may leave a container removal in flight. */
async function cleanup(run: ClusterRun): Promise<void> {
  try {
    await run.cleanup();
  } catch {
    await sleep(3000);
    await run.cleanup();
  }
}

async function main(): Promise<void> {
  await ensureTestImages();
  const rows: string[][] = [];
  const run = new ClusterRun("bench");
  try {
    await run.up();
    say(
      `orchestra up on ${run.server} (pid ${run.processes[0]?.pid}); Docker ${(await docker.version()).Version}`,
    );
    for (const n of SIZES) {
      say(`N = ${n}: baseline (Engine API, parallel)...`);
      const base = await baseline(n);
      say(`  ${fmt(base.seconds)} s`);
      say(`N = ${n}: orchestra (PUT /deployments, replicas ${n})...`);
      const orch = await orchestra(run, n, `bench-${n}`);
      say(`  ${fmt(orch.seconds)} s`);
      await run.cliOk(["delete", `bench-${n}`]);
      // Wait for the containers to go, so that the next size starts on an idle engine.
      for (let i = 0; i < 400 && (await run.containers()).length > 0; i++) await sleep(100);
      rows.push([
        String(n),
        fmt(base.seconds),
        fmt(orch.seconds),
        fmt(orch.seconds / base.seconds),
        fmt(percentile(orch.startup, 0.5) / 1000),
        fmt(percentile(orch.startup, 0.99) / 1000),
      ]);
    }
  } finally {
    await cleanup(run);
  }
  say("");
  printTable(["N", "baseline s", "orchestra s", "ratio", "pod startup p50 s", "pod startup p99 s"], rows);
  say("goal: ratio 1.15 or less; Kubernetes' pod start-up SLO: p99 5 s");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:docker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
