// API latency under a fixed load of 500 req/s: GET /healthz (baseline: one store read), GET /deployments and
// PUT /deployments against startApiServer on the embedded store, the load coming from a separate process.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startApiServer } from "../src/cmd/api.js";
import { podTemplateOf, revisionHash } from "../src/core/revision.js";
import type { Deployment, DeploymentSpec, Pod } from "../src/core/types.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import { podCreateOps } from "../src/store/pod-ops.js";
import type { Store, TxOp } from "../src/store/store.js";
import type { LoadResult, LoadSpec } from "./load-generator.js";
import { fmt, numberFlag, printTable, say } from "./stats.js";

const RATE = numberFlag("rate", 500);
const SECONDS = numberFlag("seconds", 10);
const DEPLOYMENTS = numberFlag("deployments", 50);
const PODS_PER_DEPLOYMENT = numberFlag("pods", 10);
const GENERATOR = fileURLToPath(new URL("./load-generator.js", import.meta.url));

async function seed(store: Store): Promise<void> {
  const now = new Date().toISOString();
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const spec: DeploymentSpec = {
      name: `seed-${d}`,
      image: "orchestra/hello",
      replicas: PODS_PER_DEPLOYMENT,
    };
    const hash = revisionHash(podTemplateOf(spec));
    const deployment: Deployment = { ...spec, hash, generation: 1, createdAt: now, updatedAt: now };
    const ops: TxOp[] = [{ op: "create", key: keys.deployment(spec.name), value: deployment }];
    for (let p = 0; p < PODS_PER_DEPLOYMENT; p++) {
      const id = `seed-${d}-${p}`;
      const pod: Pod = {
        id,
        name: id,
        deployment: spec.name,
        hash,
        template: podTemplateOf(spec),
        node: "n1",
        status: { phase: "Running", ready: true, restarts: 0, ip: `10.0.${d}.${p + 2}` },
        createdAt: now,
        updatedAt: now,
      };
      ops.push(...podCreateOps(pod));
    }
    await store.transaction(ops);
  }
}

async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [GENERATOR, JSON.stringify(spec)], {
    timeout: (spec.durationSeconds + 60) * 1000,
  });
  return JSON.parse(stdout) as LoadResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-api-"));
  const backend = EmbeddedBackend.open(dir);
  const store = backend.connect();
  const api = await startApiServer({ store, port: 0 });
  const rows: { name: string; result: LoadResult }[] = [];
  try {
    await seed(store);
    say(
      `API on ${api.url}, embedded store seeded with ${DEPLOYMENTS} deployments x ${PODS_PER_DEPLOYMENT} pods`,
    );
    say(`load: ${RATE} req/s for ${SECONDS} s each, open loop, from a separate process`);
    const base = { ratePerSecond: RATE, durationSeconds: SECONDS };
    const putBody = JSON.stringify({
      name: "bench-{{i}}",
      image: "orchestra/hello",
      replicas: 1,
      env: { N: "{{i}}" },
    });
    const cases: [string, LoadSpec][] = [
      ["GET /healthz (baseline)", { ...base, url: `${api.url}/healthz`, method: "GET" }],
      ["GET /deployments", { ...base, url: `${api.url}/deployments`, method: "GET" }],
      // Every PUT creates a new deployment: a real durable write (fsync) each time.
      ["PUT /deployments (create)", { ...base, url: `${api.url}/deployments`, method: "PUT", body: putBody }],
    ];
    // Warm-up, not reported: JIT, connection pool and SQLite page cache, so that the first case is not penalised.
    await load({ ...base, durationSeconds: 2, url: `${api.url}/deployments`, method: "GET" });
    for (const [name, spec] of cases) {
      say(`  ${name}...`);
      rows.push({ name, result: await load(spec) });
    }
  } finally {
    await api.close();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const baseline = rows[0]?.result as LoadResult;
  say("");
  printTable(
    [
      "request",
      "sent",
      "ok",
      "errors",
      "req/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "p99 vs schedule",
      "p99 / baseline",
    ],
    rows.map(({ name, result: r }) => [
      name,
      String(r.sent),
      String(r.ok),
      String(r.errors),
      fmt(r.throughput),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.max),
      fmt(r.scheduledP99),
      fmt(r.p99 / baseline.p99),
    ]),
  );
  say(`goal: p99 under 20 ms at 500 req/s on the embedded store`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:api failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
