// The API server over real HTTP on the embedded store: every route, every error status, bad input
// leaving the store unchanged, auth on and off, If-Match preconditions, and a store that is down.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isLoopback, type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import { UnavailableError } from "../src/core/errors.js";
import type { Deployment, NodeInfo, Pod } from "../src/core/types.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { savePod } from "../src/store/testing/pod-test-support.js";
import { assertAnswerMatchesContract } from "./support/api-contract.js";
import { unreachableStore } from "./support/unreachable-store.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field in the tests.
  body: any;
}

interface Call {
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** Default application/json when a body is given; null sends no content-type. */
  contentType?: string | null;
}

/**
 * One HTTP request with node:http, so that the path goes out exactly as written (fetch normalizes `..`).
 * Every answer must match what /openapi.json says of the route and status.
 */
async function call(baseUrl: string, method: string, path: string, options: Call = {}): Promise<Reply> {
  const reply = await send(baseUrl, method, path, options);
  await assertAnswerMatchesContract(method, path, reply.status, reply.body);
  return reply;
}

function send(baseUrl: string, method: string, path: string, options: Call): Promise<Reply> {
  const url = new URL(baseUrl);
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === "string" || Buffer.isBuffer(options.body)
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (payload !== undefined && contentType !== null) headers["content-type"] = contentType;
  if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch {
            // Not JSON: the tests below assert it is, so keep the text for the failure message.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    // A server may answer (413, 401) before reading the whole body and close the socket.
    req.on("error", reject);
    req.end(payload);
  });
}

/** Every key the API can touch, with versions: equal snapshots mean nothing was written. */
async function snapshot(store: Store): Promise<string> {
  const lists = await Promise.all([keys.deployments, keys.pods, keys.nodes].map((dir) => store.list(dir)));
  return JSON.stringify(lists);
}

function assertError(reply: Reply, status: number, kind: string, message?: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.match(String(reply.headers["content-type"]), /^application\/json/);
  assert.equal(reply.body.error, kind, JSON.stringify(reply.body));
  assert.equal(typeof reply.body.message, "string");
  if (message) assert.match(reply.body.message, message);
}

interface Harness {
  url: string;
  store: Store;
  call(method: string, path: string, options?: Call): Promise<Reply>;
  close(): Promise<void>;
}

async function startHarness(options: { token?: string; bodyLimit?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-api-test-"));
  let backend: EmbeddedBackend | undefined;
  let server: RunningApiServer | undefined;
  try {
    backend = EmbeddedBackend.open(dir);
    const store = backend.connect();
    server = await startApiServer({ store, port: 0, ...options });
    const url = server.url;
    const opened = { backend, server };
    return {
      url,
      store,
      call: (method, path, callOptions) => call(url, method, path, callOptions),
      async close() {
        try {
          await opened.server.close();
        } finally {
          opened.backend.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await server?.close();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

const web = { name: "web", image: "nginx:1.27", replicas: 2, env: { A: "1", B: "2" } };

function pod(
  id: string,
  deployment: string,
  hash: string,
  phase: Pod["status"]["phase"],
  node?: string,
): Pod {
  const now = new Date().toISOString();
  return {
    id,
    name: `${deployment}-${id}`,
    deployment,
    hash,
    template: { image: "nginx:1.27" },
    ...(node ? { node } : {}),
    status: { phase, restarts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

describe("API without a token", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test("binds 127.0.0.1 by default", () => {
    assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("GET /healthz answers ok when the store answers", async () => {
    const reply = await h.call("GET", "/healthz");
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: "ok" });
  });

  test("GET /openapi.json describes every route and the deployment schema", async () => {
    const reply = await h.call("GET", "/openapi.json");
    assert.equal(reply.status, 200);
    assert.equal(reply.body.openapi, "3.1.0");
    assert.deepEqual(Object.keys(reply.body.paths).sort(), [
      "/configs",
      "/configs/{name}",
      "/deployments",
      "/deployments/{name}",
      "/deployments/{name}/history",
      "/deployments/{name}/log",
      "/deployments/{name}/rollback",
      "/deployments/{name}/rollout",
      "/events",
      "/healthz",
      "/join",
      "/metrics",
      "/nodes",
      "/nodes/{name}",
      "/nodes/{name}/cordon",
      "/nodes/{name}/labels",
      "/nodes/{name}/uncordon",
      "/openapi.json",
      "/pods",
      "/pods/{id}/eviction",
      "/pods/{id}/log",
      "/secrets",
      "/secrets/{name}",
      "/secrets/{name}/reencrypt",
      "/services",
      "/tokens",
      "/tokens/{id}",
      "/usage/nodes",
      "/usage/pods",
      "/volumes",
    ]);
    assert.deepEqual(Object.keys(reply.body.paths["/deployments"]).sort(), ["get", "put"]);
    assert.deepEqual(Object.keys(reply.body.paths["/deployments/{name}"]).sort(), [
      "delete",
      "get",
      "parameters",
    ]);
    const spec = reply.body.components.schemas.DeploymentSpec;
    assert.equal(spec.additionalProperties, false);
    assert.deepEqual(spec.required, ["name", "image"]);
  });

  test("PUT creates (201), an identical PUT changes nothing, edits bump the generation", async () => {
    const created = await h.call("PUT", "/deployments", { body: web });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.location, "/deployments/web");
    const d = created.body as Deployment;
    assert.equal(d.name, "web");
    assert.equal(d.replicas, 2);
    assert.equal(d.generation, 1);
    assert.match(d.hash, /^[0-9a-f]{10}$/);
    assert.equal(d.createdAt, d.updatedAt);
    assert.ok(Math.abs(Date.parse(d.createdAt) - Date.now()) < 60_000);
    const stored = await h.store.get<Deployment>(keys.deployment("web"));
    assert.deepEqual(stored?.value, d);

    // Same spec, keys in another order: nothing is written.
    const before = await snapshot(h.store);
    const same = await h.call("PUT", "/deployments", {
      body: { env: { B: "2", A: "1" }, replicas: 2, image: "nginx:1.27", name: "web" },
    });
    assert.equal(same.status, 200);
    assert.deepEqual(same.body, d);
    assert.equal(await snapshot(h.store), before);

    // Scaling is a change of the spec but not of the pod template.
    const scaled = await h.call("PUT", "/deployments", { body: { ...web, replicas: 5 } });
    assert.equal(scaled.status, 200);
    assert.equal(scaled.body.generation, 2);
    assert.equal(scaled.body.replicas, 5);
    assert.equal(scaled.body.hash, d.hash);
    assert.equal(scaled.body.createdAt, d.createdAt);
    assert.ok(scaled.body.updatedAt >= d.updatedAt);

    // A new image is a new revision.
    const rolled = await h.call("PUT", "/deployments", {
      body: { ...web, replicas: 5, image: "nginx:1.28" },
    });
    assert.equal(rolled.status, 200);
    assert.equal(rolled.body.generation, 3);
    assert.notEqual(rolled.body.hash, d.hash);

    // Leaving out replicas means the default, 1: a change too.
    const defaulted = await h.call("PUT", "/deployments", {
      body: { name: "web", image: "nginx:1.28", env: web.env },
    });
    assert.equal(defaulted.body.replicas, 1);
    assert.equal(defaulted.body.generation, 4);
    assert.equal(defaulted.body.hash, rolled.body.hash);
  });

  test("GET /deployments and /deployments/:name carry a status computed from the pods", async () => {
    await h.call("PUT", "/deployments", { body: { name: "api", image: "busybox", replicas: 3 } });
    const current = (await h.call("GET", "/deployments/api")).body as Deployment;
    const pods = [
      pod("p1", "api", current.hash, "Running", "n1"),
      pod("p2", "api", current.hash, "Pending"),
      pod("p3", "api", "0000000000", "Running", "n2"),
      pod("p4", "other", current.hash, "Running", "n1"),
    ];
    for (const p of pods) await savePod(h.store, p);

    const one = await h.call("GET", "/deployments/api");
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.status, {
      replicas: 3,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 1,
    });

    const all = await h.call("GET", "/deployments");
    assert.equal(all.status, 200);
    assert.ok(Array.isArray(all.body));
    const names = all.body.map((x: Deployment) => x.name);
    assert.deepEqual(names, [...names].sort());
    const api = all.body.find((x: Deployment) => x.name === "api");
    assert.deepEqual(api, one.body);
    const webNow = all.body.find((x: Deployment) => x.name === "web");
    assert.deepEqual(webNow.status, {
      replicas: 1,
      readyReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
    });
  });

  test("GET /pods filters by deployment and node", async () => {
    const ids = async (query: string) => {
      const reply = await h.call("GET", `/pods${query}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return (reply.body as Pod[]).map((p) => p.id).sort();
    };
    assert.deepEqual(await ids(""), ["p1", "p2", "p3", "p4"]);
    assert.deepEqual(await ids("?deployment=api"), ["p1", "p2", "p3"]);
    assert.deepEqual(await ids("?node=n1"), ["p1", "p4"]);
    assert.deepEqual(await ids("?deployment=api&node=n1"), ["p1"]);
    assert.deepEqual(await ids("?deployment=nope"), []);
    const stored = await h.store.get(keys.pod("p4"));
    assert.deepEqual((await h.call("GET", "/pods?deployment=other")).body, [stored?.value]);
    assertError(
      await h.call("GET", "/pods?deploy=api"),
      400,
      "BadRequest",
      /^deploy: unknown query parameter/,
    );
    assertError(await h.call("GET", "/pods?node=a&node=b"), 400, "BadRequest", /^node: must be given once/);
  });

  test("GET /nodes lists the registered nodes", async () => {
    const node: NodeInfo = {
      name: "nodes-n1",
      address: "10.0.0.1",
      labels: { zone: "a" },
      capacity: { cpu: 2000, memory: 1 << 30 },
      schedulable: true,
      registeredAt: new Date().toISOString(),
    };
    await h.store.create(keys.node("nodes-n1"), node, { ephemeral: true });
    await savePod(h.store, {
      ...pod("nodes-p1", "web", "h1", "Running", "nodes-n1"),
      template: { image: "nginx:1.27", resources: { cpu: 250, memory: 1 << 20 } },
    });
    const reply = await h.call("GET", "/nodes");
    assert.equal(reply.status, 200);
    const computed = { unschedulable: false, ready: true, pods: 1, allocated: { cpu: 250, memory: 1 << 20 } };
    const listed = reply.body as { name: string; ready: boolean }[];
    assert.deepEqual(
      listed.filter((n) => n.ready),
      [{ ...node, ...computed }],
    );
    // Nodes that earlier tests' pods are bound to, with no worker registered: shown NotReady.
    assert.deepEqual(
      listed.filter((n) => !n.ready).map((n) => n.name),
      ["n1", "n2"],
    );

    // Cordon and labels are kept apart from the (ephemeral) registration and merged into it.
    const cordoned = await h.call("PUT", "/nodes/nodes-n1/cordon");
    assert.equal(cordoned.status, 200);
    assert.equal(cordoned.body.changed, true);
    assert.equal((await h.call("PUT", "/nodes/nodes-n1/cordon")).body.changed, false);
    const labelled = await h.call("PATCH", "/nodes/nodes-n1/labels", {
      body: { labels: { zone: null, gpu: "yes" } },
    });
    assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
    assert.deepEqual(labelled.body.labels, { gpu: "yes" });
    assert.equal(labelled.body.schedulable, false);
    assertError(await h.call("PUT", "/nodes/nope/cordon"), 404, "NotFound", /node "nope" not found/);
    assertError(
      await h.call("PATCH", "/nodes/nodes-n1/labels", { body: { labels: { "bad key!": "x" } } }),
      400,
      "BadRequest",
      /^labels/,
    );
    const events = await h.call("GET", "/events?name=node/nodes-n1");
    assert.deepEqual(
      events.body.map((event: { reason: string }) => event.reason),
      ["Cordoned"],
    );
  });

  test("validation errors are 400s naming the field, and write nothing", async () => {
    const before = await snapshot(h.store);
    const cases: [unknown, string, RegExp][] = [
      [{ ...web, replicas: "3" }, "replicas", /^replicas: must be an integer from 0 to 1000$/],
      [{ ...web, replicas: 1001 }, "replicas", /^replicas: must be an integer from 0 to 1000$/],
      [{ ...web, replica: 3 }, "replica", /^replica: unknown field \(did you mean replicas\?\)/],
      [{ ...web, name: "Web" }, "name", /^name: must be a DNS label/],
      [{ ...web, name: "../pods" }, "name", /^name: must be a DNS label/],
      [{ ...web, image: "NGINX" }, "image", /repository name must be lowercase/],
      [{ ...web, command: "nginx -g 'daemon off;'" }, "command", /not a shell string/],
      [{ ...web, env: { A: 1 } }, "env.A", /must be a string/],
      [
        { ...web, ports: [{ containerPort: 80 }, { containerPort: 70000 }] },
        "ports[1].containerPort",
        /integer from 1 to 65535/,
      ],
      [{ ...web, labels: { "bad key": "x" } }, 'labels["bad key"]', /key must be/],
      [{ ...web, resources: { cpu: 0 } }, "resources.cpu", /positive integer/],
      [{ image: "nginx" }, "name", /^name: is required$/],
      [[web], "deployment", /must be an object/],
      [null, "deployment", /must be an object/],
      ["web", "deployment", /must be an object/],
    ];
    for (const [body, field, message] of cases) {
      const reply = await h.call("PUT", "/deployments", { body: JSON.stringify(body) });
      assertError(reply, 400, "BadRequest", message);
      assert.equal(reply.body.field, field);
    }
    // An own `__proto__` key (as JSON can carry) is an unknown field, not a prototype.
    const proto = await h.call("PUT", "/deployments", {
      body: '{"name":"web","image":"nginx","__proto__":{"replicas":7}}',
    });
    assertError(proto, 400, "BadRequest", /^__proto__: unknown field/);
    assert.equal(await snapshot(h.store), before);
  });

  test("malformed bodies: broken or empty JSON (400), wrong or missing content type (415), too large (413)", async () => {
    const before = await snapshot(h.store);
    assertError(
      await h.call("PUT", "/deployments", { body: '{"name": "web",' }),
      400,
      "BadRequest",
      /^body: is not valid JSON/,
    );
    assertError(await h.call("PUT", "/deployments", { body: "" }), 400, "BadRequest", /^body: is empty/);
    assertError(
      await h.call("PUT", "/deployments", { body: JSON.stringify(web), contentType: "text/plain" }),
      415,
      "UnsupportedMediaType",
      /^content-type: must be application\/json, not "text\/plain"/,
    );
    assertError(
      await h.call("PUT", "/deployments", { body: JSON.stringify(web), contentType: null }),
      415,
      "UnsupportedMediaType",
      /missing/,
    );
    assertError(
      await h.call("PUT", "/deployments", {
        body: "name=web",
        contentType: "application/x-www-form-urlencoded",
      }),
      415,
      "UnsupportedMediaType",
    );
    const huge = JSON.stringify({ ...web, env: { BIG: "x".repeat(1024 * 1024) } });
    assertError(await h.call("PUT", "/deployments", { body: huge }), 413, "PayloadTooLarge", /524288 bytes/);
    // A charset parameter is fine.
    const ok = await h.call("PUT", "/deployments", {
      body: JSON.stringify({ name: "web", image: "nginx:1.28", replicas: 1, env: web.env }),
      contentType: "application/json; charset=utf-8",
    });
    assert.equal(ok.status, 200);
    assert.equal(await snapshot(h.store), before);
  });

  test("names with path tricks never reach the store", async () => {
    const before = await snapshot(h.store);
    for (const [method, path] of [
      ["GET", "/deployments/..%2Fpods"],
      ["DELETE", "/deployments/..%2Fpods"],
      ["DELETE", "/deployments/%2e%2e"],
      ["GET", "/deployments/WEB"],
      ["DELETE", "/deployments/a%00b"],
      ["DELETE", "/deployments/-web"],
    ] as const) {
      assertError(await h.call(method, path), 400, "BadRequest", /^name: must be a DNS label/);
    }
    for (const [method, path] of [
      ["DELETE", "/deployments/../pods"],
      ["DELETE", "/deployments/web/extra"],
      ["DELETE", `/deployments/${"a".repeat(200)}`],
    ] as const) {
      assertError(await h.call(method, path), 404, "NotFound");
    }
    assertError(await h.call("GET", "/deployments/%E0%A4%A"), 400, "BadRequest", /percent-encoded/);
    assert.equal(await snapshot(h.store), before);
  });

  test("unknown routes and names are JSON 404s", async () => {
    assertError(await h.call("GET", "/nope"), 404, "NotFound", /^no route GET \/nope/);
    assertError(await h.call("POST", "/deployments", { body: web }), 404, "NotFound", /no route POST/);
    assertError(await h.call("GET", "/deployments/ghost"), 404, "NotFound", /deployment ghost not found/);
    assertError(await h.call("DELETE", "/deployments/ghost"), 404, "NotFound", /deployment ghost not found/);
  });

  test("If-Match: a generation, * (must exist) or 0 (must not exist); 409 when it fails", async () => {
    const created = await h.call("PUT", "/deployments", {
      body: { name: "cas", image: "busybox" },
      headers: { "If-Match": "0" },
    });
    assert.equal(created.status, 201);
    let before = await snapshot(h.store);
    assertError(
      await h.call("PUT", "/deployments", {
        body: { name: "cas", image: "busybox" },
        headers: { "If-Match": "0" },
      }),
      409,
      "Conflict",
      /already exists/,
    );
    assertError(
      await h.call("PUT", "/deployments", {
        body: { name: "cas", image: "busybox", replicas: 2 },
        headers: { "If-Match": "2" },
      }),
      409,
      "Conflict",
      /at generation 1, not 2/,
    );
    assertError(
      await h.call("PUT", "/deployments", {
        body: { name: "ghost", image: "busybox" },
        headers: { "If-Match": "*" },
      }),
      409,
      "Conflict",
      /does not exist/,
    );
    assertError(
      await h.call("PUT", "/deployments", {
        body: { name: "ghost", image: "busybox" },
        headers: { "If-Match": "3" },
      }),
      409,
      "Conflict",
      /does not exist/,
    );
    for (const bad of ["abc", "-1", "1.5", "", '"1'] as const) {
      const reply = await h.call("PUT", "/deployments", {
        body: { name: "cas", image: "busybox", replicas: 2 },
        headers: { "If-Match": bad },
      });
      assertError(reply, 400, "BadRequest", /^If-Match: must be a generation number/);
      assert.equal(reply.body.field, "If-Match");
    }
    assertError(
      await h.call("DELETE", "/deployments/cas", { headers: { "If-Match": "7" } }),
      409,
      "Conflict",
    );
    assertError(
      await h.call("DELETE", "/deployments/ghost", { headers: { "If-Match": "1" } }),
      404,
      "NotFound",
    );
    assert.equal(await snapshot(h.store), before);

    const updated = await h.call("PUT", "/deployments", {
      body: { name: "cas", image: "busybox", replicas: 2 },
      headers: { "If-Match": '"1"' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.generation, 2);
    const star = await h.call("PUT", "/deployments", {
      body: { name: "cas", image: "busybox", replicas: 3 },
      headers: { "If-Match": "*" },
    });
    assert.equal(star.body.generation, 3);
    before = await snapshot(h.store);
    assertError(
      await h.call("DELETE", "/deployments/cas", { headers: { "If-Match": "2" } }),
      409,
      "Conflict",
      /generation 3/,
    );
    assert.equal(await snapshot(h.store), before);
    const deleted = await h.call("DELETE", "/deployments/cas", { headers: { "If-Match": "3" } });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.generation, 3);
  });

  test("DELETE returns the deleted deployment and leaves its pods to the controller", async () => {
    const stored = (await h.store.get<Deployment>(keys.deployment("api")))?.value;
    const reply = await h.call("DELETE", "/deployments/api");
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, stored);
    assert.equal(await h.store.get(keys.deployment("api")), undefined);
    assertError(await h.call("GET", "/deployments/api"), 404, "NotFound");
    assertError(await h.call("DELETE", "/deployments/api"), 404, "NotFound");
    assert.equal((await h.call("GET", "/pods?deployment=api")).body.length, 3);
    // A new deployment of the same name starts again at generation 1.
    const again = await h.call("PUT", "/deployments", { body: { name: "api", image: "busybox" } });
    assert.equal(again.status, 201);
    assert.equal(again.body.generation, 1);
  });

  test("concurrent PUTs all land, each with its own generation (compare-and-set)", async () => {
    const n = 12;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.call("PUT", "/deployments", { body: { name: "race", image: "busybox", replicas: i + 1 } }),
      ),
    );
    for (const r of replies) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
    assert.equal(replies.filter((r) => r.status === 201).length, 1);
    const generations = replies.map((r) => r.body.generation as number).sort((a, b) => a - b);
    assert.deepEqual(
      generations,
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const last = replies.find((r) => r.body.generation === n)?.body;
    assert.deepEqual((await h.store.get(keys.deployment("race")))?.value, last);
  });
});

describe("API with a token", () => {
  const token = "s3cret-token";
  let h: Harness;
  before(async () => {
    h = await startHarness({ token, bodyLimit: 4096 });
  });
  after(async () => {
    await h?.close();
  });
  const auth = (value: string) => ({ Authorization: value });

  test("requests without the right bearer token get 401 and write nothing", async () => {
    const before = await snapshot(h.store);
    for (const headers of [
      {},
      auth("Bearer wrong"),
      auth(`Basic ${token}`),
      auth(`Bearer ${token}x`),
      auth("Bearer"),
    ]) {
      const reply = await h.call("GET", "/deployments", { headers });
      assertError(reply, 401, "Unauthorized", /^authorization: /);
      assert.match(String(reply.headers["www-authenticate"]), /^Bearer/);
      assertError(await h.call("PUT", "/deployments", { body: web, headers }), 401, "Unauthorized");
      assertError(await h.call("DELETE", "/deployments/web", { headers }), 401, "Unauthorized");
      assertError(await h.call("GET", "/openapi.json", { headers }), 401, "Unauthorized");
      assertError(await h.call("GET", "/nope", { headers }), 401, "Unauthorized");
    }
    // Refused before the body is read: neither a 413 nor a 415 gives away anything.
    assertError(await h.call("PUT", "/deployments", { body: "x".repeat(10_000) }), 401, "Unauthorized");
    assertError(
      await h.call("PUT", "/deployments", { body: "x", contentType: "text/plain" }),
      401,
      "Unauthorized",
    );
    assert.equal(await snapshot(h.store), before);
  });

  test("the right token is accepted on every route", async () => {
    const headers = auth(`Bearer ${token}`);
    assert.equal((await h.call("PUT", "/deployments", { body: web, headers })).status, 201);
    assert.equal((await h.call("GET", "/deployments", { headers })).body.length, 1);
    assert.equal((await h.call("GET", "/deployments/web", { headers })).status, 200);
    assert.equal((await h.call("GET", "/pods", { headers })).status, 200);
    assert.equal((await h.call("GET", "/nodes", { headers })).status, 200);
    assert.equal((await h.call("GET", "/openapi.json", { headers })).status, 200);
    assert.equal((await h.call("GET", "/deployments/web", { headers: auth(`bearer ${token}`) })).status, 200);
    assertError(await h.call("GET", "/nope", { headers }), 404, "NotFound");
    assert.equal((await h.call("DELETE", "/deployments/web", { headers })).status, 200);
  });

  test("GET /healthz needs no token", async () => {
    const reply = await h.call("GET", "/healthz");
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: "ok" });
  });

  test("the body limit is configurable", async () => {
    const before = await snapshot(h.store);
    const body = JSON.stringify({ ...web, env: { BIG: "x".repeat(5000) } });
    assertError(
      await h.call("PUT", "/deployments", { body, headers: auth(`Bearer ${token}`) }),
      413,
      "PayloadTooLarge",
      /4096 bytes/,
    );
    assert.equal(await snapshot(h.store), before);
  });
});

/** A Store whose every call fails (down) or never answers (hung). Only for the 503 cases. */
function brokenStore(mode: "down" | "hung"): Store {
  const fail = () =>
    mode === "down"
      ? Promise.reject(new UnavailableError("connection to the store lost"))
      : new Promise<never>(() => {});
  return unreachableStore(fail, "disconnected");
}

describe("API on an unreachable store", () => {
  for (const mode of ["down", "hung"] as const) {
    test(`every route answers 503 when the store is ${mode}`, async () => {
      const server = await startApiServer({ store: brokenStore(mode), port: 0, storeTimeoutMs: 200 });
      try {
        const started = Date.now();
        const requests: [string, string, object?][] = [
          ["GET", "/healthz"],
          ["GET", "/deployments"],
          ["GET", "/deployments/web"],
          ["PUT", "/deployments", web],
          ["DELETE", "/deployments/web"],
          ["GET", "/pods"],
          ["GET", "/nodes"],
        ];
        for (const [method, path, body] of requests) {
          const reply = await call(server.url, method, path, body ? { body } : {});
          assertError(
            reply,
            503,
            "Unavailable",
            mode === "down" ? /connection to the store lost/ : /within 200 ms/,
          );
        }
        assert.ok(Date.now() - started < 5000, "a hung store must not hang the API");
        // Validation still comes first: bad input is a 400, not a 503.
        assertError(
          await call(server.url, "PUT", "/deployments", { body: { name: "x" } }),
          400,
          "BadRequest",
        );
        assert.equal((await call(server.url, "GET", "/openapi.json")).status, 200);
      } finally {
        await server.close();
      }
    });
  }
});

describe("startApiServer", () => {
  test("refuses a non-loopback address without a token", async () => {
    const store = brokenStore("down");
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "example.com"]) {
      await assert.rejects(
        startApiServer({ store, host, port: 0 }),
        /refusing to serve the API on .* without a token/,
      );
      await assert.rejects(startApiServer({ store, host, port: 0, token: " " }), /without a token/);
    }
  });

  test("refuses plain HTTP on a non-loopback address, even with a token", async () => {
    await assert.rejects(
      startApiServer({ store: brokenStore("down"), host: "0.0.0.0", port: 0, token: "t" }),
      /refusing to serve plain HTTP on 0\.0\.0\.0/,
    );
  });

  test("isLoopback", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "LOCALHOST",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of [
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "128.0.0.1",
      "localhost.example.com",
      "::ffff:10.0.0.1",
      "",
    ]) {
      assert.equal(isLoopback(host), false, host);
    }
  });
});
