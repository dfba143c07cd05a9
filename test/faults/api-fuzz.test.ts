// Scenario 9: property-based fuzzing (fast-check) of every API route over real HTTP against an in-process API
// server on an embedded store: hostile input gets a 4xx (2xx only where it is valid), never a 5xx, and a
// rejected request leaves the store exactly as it was.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { type RunningApiServer, startApiServer } from "../../src/cmd/api.js";
import { deployment, podOf } from "../../src/controller/testing/test-fixtures.js";
import type { NodeInfo } from "../../src/core/types.js";
import { EmbeddedBackend } from "../../src/store/embedded/embedded-backend.js";
import type { EmbeddedStore } from "../../src/store/embedded/embedded-store.js";
import { keys } from "../../src/store/keys.js";
import type { Store } from "../../src/store/store.js";
import { savePod } from "../../src/store/testing/pod-test-support.js";
import { assertAnswerMatchesContract } from "../support/api-contract.js";
import { reliability } from "./support-store-faults.js";

/** Runs per property: the whole file takes about a minute on the 2-core test machine. */
const RUNS = 500;
/** Directories of every kind of object, listed recursively to tell whether a request changed anything. */
const ROOTS = ["/deployments", "/pods", "/nodes", "/nodeconfig", "/events", "/revisions", "/rollouts"];

interface Answer {
  status: number;
  body: string;
}

/**
 * Sends exactly `path` (no normalisation of `..` or percent-escapes, unlike fetch) and reads the answer,
 * which must match what /openapi.json says of the route and status.
 */
const send = async (...request: Parameters<typeof exchange>): Promise<Answer> => {
  const answer = await exchange(...request);
  const [, method, path] = request;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    assert.fail(`${method} ${path.slice(0, 200)} answered ${answer.status} with a body that is not JSON`);
  }
  await assertAnswerMatchesContract(method, path, answer.status, parsed);
  return answer;
};

function exchange(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  contentType?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (contentType) headers["content-type"] = contentType;
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    const req = httpRequest({ hostname, port, method, path, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    // A server that answers 413 before reading a huge body may close the socket while we still write:
    // the answer already counts, the write error does not.
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Every key and value under ROOTS, recursively, with versions: equal snapshots mean an unchanged store. */
async function snapshot(store: Store): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await store.list(dir)) {
      lines.push(`${entry.key}@${entry.version}=${JSON.stringify(entry.value)}`);
      await walk(entry.key);
    }
  };
  for (const root of ROOTS) await walk(root);
  return lines.join("\n");
}

/** A snapshot once asynchronous writes (events recorded after a 2xx) have settled. */
async function settledSnapshot(store: Store): Promise<string> {
  let previous = await snapshot(store);
  for (;;) {
    await sleep(30);
    const current = await snapshot(store);
    if (current === previous) return current;
    previous = current;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

/** Names in paths: valid ones, traversal and NUL tricks, unicode, and very long ones. */
const nameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("web", "n1", "p1", "missing", "WEB", "-web", "web-", "a.b"),
  fc.constantFrom(
    "..%2F",
    "..%2Fpods",
    "%2e%2e",
    "..",
    ".",
    "%00",
    "web%00",
    "%2F",
    "web%2F..%2Fnodes",
    "%252e%252e%252f",
    "%",
    "%zz",
    "%c0%af",
    "%ff%fe",
    "web;rm",
    "web?x=1",
    "web#frag",
    "%20",
    "~",
    "*",
  ),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 64, max: 6000 }).map((n) => "a".repeat(n)),
  fc.stringMatching(/^[a-z0-9-]{1,80}$/),
);

/** Values of every JSON type, for wrong-type fields. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, -1, 0, 1.5, 1e308, -0, "", "🙂", [], {}, true, "a".repeat(10_000)),
  fc.string({ unit: "grapheme" }),
);

/** Deployment-shaped objects with fields of the right and the wrong types. */
const deploymentLike: fc.Arbitrary<unknown> = fc.record(
  {
    name: fc.oneof(fc.constantFrom("web", "fuzz-ok", "Bad Name", "", "../x", "a".repeat(300)), anyJson),
    image: fc.oneof(fc.constantFrom("orchestra/hello:latest", "", " ", "UPPER/Case"), anyJson),
    replicas: fc.oneof(fc.integer({ min: -5, max: 2000 }), anyJson),
    env: fc.oneof(fc.dictionary(fc.string(), fc.string()), anyJson),
    ports: fc.oneof(
      fc.array(fc.record({ containerPort: fc.oneof(fc.integer({ min: -1, max: 70_000 }), anyJson) })),
      anyJson,
    ),
    labels: anyJson,
    resources: fc.oneof(fc.record({ cpu: anyJson, memory: anyJson }), anyJson),
    healthCheck: anyJson,
    placement: anyJson,
    strategy: anyJson,
    restartPolicy: anyJson,
    command: fc.oneof(fc.array(fc.string()), anyJson),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

/** What goes in a body: malformed JSON, wrong types, unicode, and bodies past the 512 KiB limit. */
const bodyArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("{", "}", "[", "{'a':1}", '{"a":}', "null", "0", '"x"', "[]", "{}", "\u0000", "\ufeff{}"),
  anyJson.map((v) => JSON.stringify(v) ?? "null"),
  deploymentLike.map((v) => JSON.stringify(v)),
  fc.record({ labels: anyJson }).map((v) => JSON.stringify(v)),
  fc.record({ toRevision: anyJson }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 3 }).map((mb) => `{"name":"${"x".repeat(mb * 1024 * 1024)}"}`),
);

const contentTypeArb = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  undefined,
);

/** Every route of the API, with a name slot where the path has one. */
const routeArb: fc.Arbitrary<{ method: string; path: string }> = fc.oneof(
  fc.constantFrom(
    { method: "GET", path: "/deployments" },
    { method: "PUT", path: "/deployments" },
    { method: "GET", path: "/pods" },
    { method: "GET", path: "/nodes" },
    { method: "GET", path: "/events" },
    { method: "GET", path: "/healthz" },
    { method: "GET", path: "/openapi.json" },
    { method: "POST", path: "/deployments" },
    { method: "DELETE", path: "/deployments" },
  ),
  fc
    .tuple(
      fc.constantFrom(
        ["GET", "/deployments/:n"],
        ["DELETE", "/deployments/:n"],
        ["PUT", "/deployments/:n"],
        ["GET", "/deployments/:n/rollout"],
        ["GET", "/deployments/:n/history"],
        ["POST", "/deployments/:n/rollback"],
        ["POST", "/pods/:n/eviction"],
        ["GET", "/pods/:n"],
        ["PUT", "/nodes/:n/cordon"],
        ["PUT", "/nodes/:n/uncordon"],
        ["PATCH", "/nodes/:n/labels"],
        ["GET", "/nodes/:n"],
      ),
      nameArb,
    )
    .map(([[method, template], name]) => ({
      method: method ?? "GET",
      path: (template ?? "").replace(":n", name),
    })),
  // Query strings of the listing routes.
  fc
    .tuple(
      fc.constantFrom("/pods", "/events", "/deployments", "/nodes"),
      fc.constantFrom("deployment", "node", "name", "since", "limit", "x"),
      fc.oneof(nameArb, fc.integer().map(String), fc.constantFrom("", "-1", "1e9", "NaN", "%00")),
    )
    .map(([path, key, value]) => ({ method: "GET", path: `${path}?${key}=${value}` })),
  // Raw path tricks outside the name slot.
  fc
    .constantFrom(
      "/deployments/../nodes",
      "/deployments/%2e%2e/nodes",
      "//deployments",
      "/deployments//web",
      "/deployments/web/",
      "/./deployments",
      "/deployments/web/rollout/..",
      "/%00",
      "/deployments%00",
      "/deployments/web%00/history",
    )
    .chain((path) =>
      fc.constantFrom("GET", "PUT", "DELETE", "POST", "PATCH").map((method) => ({ method, path })),
    ),
);

// ---------------------------------------------------------------------------------------------------------

let dir: string;
let backend: EmbeddedBackend;
let store: EmbeddedStore;
let server: RunningApiServer;

describe("scenario 9: fuzzing every API route", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-fuzz-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    // Something for each route to find: a deployment with a pod on a registered node.
    const web = deployment({ name: "web", replicas: 2 });
    await store.set(keys.deployment("web"), web);
    await savePod(store, podOf(web, "p1", { node: "n1", phase: "Running" }));
    const node: NodeInfo = {
      name: "n1",
      address: "127.0.0.1",
      labels: { zone: "east" },
      capacity: { cpu: 2000, memory: 2 ** 31 },
      schedulable: true,
      registeredAt: new Date().toISOString(),
    };
    await store.create(keys.node("n1"), node, { ephemeral: true });
    server = await startApiServer({ store, host: "127.0.0.1", port: 0 });
  });

  after(async () => {
    await server?.close();
    await store?.close();
    backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("hostile requests get 4xx, never 5xx, and a rejected one changes nothing", {
    timeout: 150_000,
  }, async (t) => {
    const started = Date.now();
    const statuses = new Map<number, number>();
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(routeArb, bodyArb, contentTypeArb, async (route, body, contentType) => {
        const before = await snapshot(store);
        const answer = await send(
          server.url,
          route.method,
          route.path,
          body,
          body === undefined ? undefined : contentType,
        );
        requests++;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const what = `${route.method} ${route.path.slice(0, 200)} (${body?.length ?? 0} bytes): ${answer.status} ${answer.body.slice(0, 300)}`;
        assert.ok(answer.status >= 200 && answer.status < 500, what);
        if (answer.status >= 400) {
          assert.equal(await snapshot(store), before, `the store changed after a rejected request: ${what}`);
          // Every refusal says what is wrong, in the API's error shape.
          const parsed = JSON.parse(answer.body) as { error?: unknown; message?: unknown };
          assert.equal(typeof parsed.error, "string", what);
          assert.equal(typeof parsed.message, "string", what);
        } else {
          await settledSnapshot(store);
        }
      }),
      { numRuns: RUNS * 3, endOnFailure: true },
    );
    const elapsed = (Date.now() - started) / 1000;
    t.diagnostic(`${requests} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal(statuses.get(500) ?? 0, 0);
    reliability(
      "9-api-fuzz",
      "0 responses 5xx; store unchanged by every 4xx",
      `0 of ${requests} 5xx in ${elapsed.toFixed(1)} s`,
      "npm run build && node --test dist/test/faults/api-fuzz.test.js",
    );
  });

  test("deployment-shaped bodies of wrong types on PUT /deployments: 400 or a valid write", {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(deploymentLike, async (spec) => {
        const before = await snapshot(store);
        const answer = await send(
          server.url,
          "PUT",
          "/deployments",
          JSON.stringify(spec),
          "application/json",
        );
        const what = `PUT ${JSON.stringify(spec).slice(0, 300)}: ${answer.status} ${answer.body.slice(0, 300)}`;
        assert.ok([200, 201, 400].includes(answer.status), what);
        if (answer.status === 400) assert.equal(await snapshot(store), before, what);
        else await settledSnapshot(store);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  test("the seeded objects are still served after the fuzzing", async () => {
    const answer = await send(server.url, "GET", "/healthz");
    assert.equal(answer.status, 200);
    const nodes = await send(server.url, "GET", "/nodes");
    assert.equal(nodes.status, 200);
    assert.ok((JSON.parse(nodes.body) as { name: string }[]).some((n) => n.name === "n1"));
  });
});
