// API latency under a fixed load of 500 req/s: GET /healthz (baseline: one store read), GET /deployments and
// PUT /deployments against startApiServer on the embedded store, the load coming from a separate process.
// Then a large list: a fresh store with 10,000 deployments, read page by page (the default page of 500,
// following the continue tokens) at a fixed rate, with /healthz again as the baseline of that part.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startApiServer } from "../src/cmd/api.js";
import { podTemplateOf, revisionHash } from "../src/core/revision.js";
import { CONTINUE_HEADER } from "../src/core/schemas/list-page.js";
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
/** Deployments of the large-list part, and the rate its pages are read at. */
const LIST_DEPLOYMENTS = numberFlag("list-deployments", 10_000);
const PAGE_RATE = numberFlag("page-rate", 20);
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

/** `count` deployments of a realistic size (a few env vars, a port), no pods, in transactions of 500. */
async function seedDeployments(store: Store, count: number): Promise<void> {
  const now = new Date().toISOString();
  for (let first = 0; first < count; first += 500) {
    const ops: TxOp[] = [];
    for (let d = first; d < Math.min(count, first + 500); d++) {
      const spec: DeploymentSpec = {
        name: `list-${String(d).padStart(5, "0")}`,
        image: "orchestra/hello:1.0",
        replicas: 3,
        env: { MODE: "production", LOG_LEVEL: "info", INDEX: String(d) },
        ports: [{ containerPort: 8080, protocol: "tcp" }],
      };
      const hash = revisionHash(podTemplateOf(spec));
      const deployment: Deployment = { ...spec, hash, generation: 1, createdAt: now, updatedAt: now };
      ops.push({ op: "create", key: keys.deployment(spec.name), value: deployment });
    }
    await store.transaction(ops);
  }
}

/** The URL of every page of GET /deployments (default page size), found by following the continue tokens. */
async function pageUrls(api: string): Promise<{ urls: string[]; items: number }> {
  const urls = [`${api}/deployments`];
  let items = 0;
  for (;;) {
    const response = await fetch(urls[urls.length - 1] as string);
    if (response.status !== 200) throw new Error(`GET /deployments: ${response.status}`);
    items += ((await response.json()) as unknown[]).length;
    const token = response.headers.get(CONTINUE_HEADER);
    if (token === null) return { urls, items };
    urls.push(`${api}/deployments?continue=${encodeURIComponent(token)}`);
  }
}

async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [GENERATOR, JSON.stringify(spec)], {
    timeout: (spec.durationSeconds + 60) * 1000,
  });
  return JSON.parse(stdout) as LoadResult;
}

/** A fresh embedded store and API server for `part`, removed after it. */
async function withApi<T>(part: (store: Store, api: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-bench-api-"));
  const backend = EmbeddedBackend.open(dir);
  const store = backend.connect();
  const api = await startApiServer({ store, port: 0 });
  try {
    return await part(store, api.url);
  } finally {
    await api.close();
    await store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Row = { name: string; result: LoadResult };

/** Issue 7's cases: the baseline, a small list and creates at RATE. */
function smallStore(): Promise<Row[]> {
  return withApi(async (store, api) => {
    await seed(store);
    say(`API on ${api}, embedded store seeded with ${DEPLOYMENTS} deployments x ${PODS_PER_DEPLOYMENT} pods`);
    say(`load: ${RATE} req/s for ${SECONDS} s each, open loop, from a separate process`);
    const base = { ratePerSecond: RATE, durationSeconds: SECONDS };
    const putBody = JSON.stringify({
      name: "bench-{{i}}",
      image: "orchestra/hello",
      replicas: 1,
      env: { N: "{{i}}" },
    });
    const cases: [string, LoadSpec][] = [
      ["GET /healthz (baseline)", { ...base, url: `${api}/healthz`, method: "GET" }],
      ["GET /deployments", { ...base, url: `${api}/deployments`, method: "GET" }],
      // Every PUT creates a new deployment: a real durable write (fsync) each time.
      ["PUT /deployments (create)", { ...base, url: `${api}/deployments`, method: "PUT", body: putBody }],
    ];
    // Warm-up, not reported: JIT, connection pool and SQLite page cache, so that the first case is not penalised.
    await load({ ...base, durationSeconds: 2, url: `${api}/deployments`, method: "GET" });
    return runCases(cases);
  });
}

/** Issue 14's case: every page of a list of LIST_DEPLOYMENTS deployments in turn at PAGE_RATE. */
function largeList(): Promise<Row[]> {
  return withApi(async (store, api) => {
    const started = performance.now();
    await seedDeployments(store, LIST_DEPLOYMENTS);
    const { urls, items } = await pageUrls(api);
    if (items !== LIST_DEPLOYMENTS)
      throw new Error(`the pages held ${items} deployments, not ${LIST_DEPLOYMENTS}`);
    const bytes = (await (await fetch(urls[0] as string)).arrayBuffer()).byteLength;
    say("");
    say(
      `fresh store with ${LIST_DEPLOYMENTS} deployments (seeded in ${fmt((performance.now() - started) / 1000)} s): ` +
        `${urls.length} pages of GET /deployments, the first ${fmt(bytes / 1024)} KiB`,
    );
    say(`load: ${PAGE_RATE} req/s for ${SECONDS} s each, every page in turn`);
    const base = { ratePerSecond: PAGE_RATE, durationSeconds: SECONDS, method: "GET" as const };
    await load({ ...base, durationSeconds: 2, url: "", urls });
    return runCases([
      [`GET /healthz (baseline, ${LIST_DEPLOYMENTS} deployments)`, { ...base, url: `${api}/healthz` }],
      [`GET /deployments pages (${urls.length} x 500)`, { ...base, url: "", urls }],
    ]);
  });
}

async function runCases(cases: [string, LoadSpec][]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, spec] of cases) {
    say(`  ${name}...`);
    rows.push({ name, result: await load(spec) });
  }
  return rows;
}

/** The rows, each p99 against its part's baseline (its first row). */
function printRows(parts: Row[][]): void {
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
    parts.flatMap((rows) =>
      rows.map(({ name, result: r }) => [
        name,
        String(r.sent),
        String(r.ok),
        r.errors === 0 ? "0" : `${r.errors} ${JSON.stringify(r.errorKinds)}`,
        fmt(r.throughput),
        fmt(r.p50),
        fmt(r.p99),
        fmt(r.max),
        fmt(r.scheduledP99),
        fmt(r.p99 / (rows[0] as Row).result.p99),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const parts = [await smallStore(), await largeList()];
  printRows(parts);
  say("goals: p99 under 20 ms at 500 req/s on the embedded store (issue 7);");
  say(`       each page of GET /deployments at ${LIST_DEPLOYMENTS} deployments p99 under 50 ms (issue 14)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:api failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
