// Tokens with roles over real HTTP on the embedded store. Table-driven from the routes' own definitions (the
// role each declares, published as x-orchestra-role in /openapi.json): every role against every route; refused
// requests answer 403 and change nothing in the store; unknown, revoked and expired tokens answer 401; each
// refusal is an audit event without the token, and the events are bounded.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildApiServer } from "../src/api/server.js";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import type { TokenRole } from "../src/core/api-token.js";
import { type Clock, systemClock } from "../src/core/clock.js";
import type { ClusterEvent } from "../src/core/types.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import type { Store } from "../src/store/store.js";
import { assertAnswerMatchesContract } from "./support/api-contract.js";

const BOOTSTRAP = "bootstrap-admin-token-for-tests";
const ROLES: TokenRole[] = ["viewer", "deployer", "admin", "node"];

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field in the tests.
  body: any;
}

/** A clock the test moves forward, to expire tokens without waiting. */
class SkewedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return systemClock.now() + this.offsetMs;
  }
  setTimeout(fn: () => void, ms: number): () => void {
    return systemClock.setTimeout(fn, ms);
  }
}

interface Harness {
  store: Store;
  clock: SkewedClock;
  call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

async function startHarness(
  options: { token?: string; refusalEventsPerMinute?: number } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-roles-test-"));
  const backend = EmbeddedBackend.open(dir);
  const store = backend.connect();
  const clock = new SkewedClock();
  let server: RunningApiServer | undefined;
  try {
    server = await startApiServer({
      store,
      port: 0,
      clock,
      join: { store: "zk://10.0.0.1:2181/orchestra", zkAuth: { user: "orchestra", password: "pw" } },
      ...options,
    });
  } catch (error) {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = server.url;
  const running = server;
  return {
    store,
    clock,
    async call(method, path, token, body) {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (method !== "GET") headers["content-type"] = "application/json";
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      const parsed = text === "" ? undefined : JSON.parse(text);
      await assertAnswerMatchesContract(method, path, response.status, parsed);
      return { status: response.status, body: parsed };
    },
    async close() {
      try {
        await running.close();
      } finally {
        backend.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Every key under `dir` with its version and value, the audit trail (/events) left out. */
async function dump(store: Store, dir = "/"): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await store.list(dir)) {
    if (entry.key === "/events") continue;
    lines.push(`${entry.key}@${entry.version} ${JSON.stringify(entry.value)}`);
    lines.push(...(await dump(store, entry.key)));
  }
  return lines;
}

async function makeToken(
  h: Harness,
  role: TokenRole,
  extra: object = {},
): Promise<{ id: string; token: string }> {
  const reply = await h.call("POST", "/tokens", BOOTSTRAP, { role, ...extra });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return { id: reply.body.id, token: reply.body.token };
}

/** The events of `reason`, once there are at least `atLeast` (events are written after the answer). */
async function events(h: Harness, reason: string, atLeast = 1): Promise<ClusterEvent[]> {
  for (let attempt = 0; ; attempt++) {
    const reply = await h.call("GET", "/events", BOOTSTRAP);
    assert.equal(reply.status, 200);
    const found = (reply.body as ClusterEvent[]).filter((event) => event.reason === reason);
    if (found.length >= atLeast || attempt === 50) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The secret part of `orc_<id>_<secret>` (which may itself hold a '_'). */
function secretOf(token: string): string {
  return token.slice("orc_0123456789abcdef_".length);
}

/** Bodies that let an allowed request through validation, so that most of them succeed; others get `{}`. */
const BODIES: Record<string, unknown> = {
  "PUT /deployments": { name: "web", image: "nginx:1.27", replicas: 1 },
  "PUT /configs/{name}": { data: { "app.conf": Buffer.from("x=1").toString("base64") } },
  "PUT /secrets/{name}": { data: { key: Buffer.from("s").toString("base64") } },
  "PATCH /nodes/{name}/labels": { labels: { zone: "a" } },
  "POST /tokens": { role: "viewer" },
  "POST /join": { node: "n1" },
};

/** The roles some routes must keep, so that a route declared too loosely fails here too. */
const MUST_NEED: Record<string, string> = {
  "GET /healthz": "public",
  "GET /deployments": "viewer",
  "GET /nodes": "viewer",
  "PUT /deployments": "deployer",
  "DELETE /deployments/{name}": "deployer",
  "POST /deployments/{name}/rollback": "deployer",
  "PUT /configs/{name}": "deployer",
  "PUT /secrets/{name}": "admin",
  "DELETE /secrets/{name}": "admin",
  "PUT /nodes/{name}/cordon": "admin",
  "DELETE /nodes/{name}": "admin",
  "POST /pods/{id}/eviction": "admin",
  "POST /tokens": "admin",
  "GET /tokens": "admin",
  "DELETE /tokens/{id}": "admin",
  "POST /join": "node",
};

const RANK: Record<string, number> = { public: 0, viewer: 1, deployer: 2, admin: 3 };

function expectedAllowed(role: TokenRole, needed: string): boolean {
  if (role === "admin" || needed === "public") return true;
  if (role === "node" || needed === "node") return role === needed;
  return (RANK[role] ?? 9) >= (RANK[needed] ?? 9);
}

describe("API tokens with roles", () => {
  let h: Harness;
  const tokens = new Map<TokenRole, { id: string; token: string }>();
  before(async () => {
    // Every refusal recorded: the table below makes dozens, and the audit test looks for its own.
    h = await startHarness({ token: BOOTSTRAP, refusalEventsPerMinute: 1000 });
    for (const role of ROLES)
      tokens.set(role, await makeToken(h, role, { description: `${role} of the test` }));
  });
  after(async () => {
    await h?.close();
  });

  test("each role against every route: allowed ones pass, the others answer 403 and change nothing", async () => {
    const document = (await h.call("GET", "/openapi.json", BOOTSTRAP)).body;
    const operations: { method: string; template: string; role: string }[] = [];
    for (const [template, item] of Object.entries<Record<string, { "x-orchestra-role"?: string }>>(
      document.paths,
    )) {
      for (const [method, operation] of Object.entries(item)) {
        if (method === "parameters") continue;
        const role = operation["x-orchestra-role"];
        assert.ok(role, `${method.toUpperCase()} ${template} declares no role in /openapi.json`);
        operations.push({ method: method.toUpperCase(), template, role });
      }
    }
    assert.ok(operations.length >= 25, `only ${operations.length} operations`);
    for (const [operation, role] of Object.entries(MUST_NEED)) {
      const found = operations.find((o) => `${o.method} ${o.template}` === operation);
      assert.equal(found?.role, role, `${operation} must need ${role}`);
    }

    let refused = 0;
    let succeeded = 0;
    for (const role of ROLES) {
      const credential = tokens.get(role)?.token;
      for (const { method, template, role: needed } of operations) {
        // Named objects exist or not; a token id that is none of ours, so that no test token is revoked.
        const path = template
          .replace("{id}", template.startsWith("/tokens") ? "0123456789abcdef" : "x1")
          .replace("{name}", "web");
        const body =
          BODIES[`${method} ${template}`] ?? (method === "GET" || method === "DELETE" ? undefined : {});
        const before = await dump(h.store);
        const reply = await h.call(method, path, credential, body);
        const what = `${role} ${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`;
        if (expectedAllowed(role, needed)) {
          assert.notEqual(reply.status, 403, what);
          assert.notEqual(reply.status, 401, what);
          if (reply.status < 300) succeeded++;
        } else {
          refused++;
          assert.equal(reply.status, 403, what);
          assert.match(
            reply.body.message,
            new RegExp(`^authorization: role ${role} may not ${method} `),
            what,
          );
          assert.deepEqual(await dump(h.store), before, `${what}: the store changed`);
        }
      }
    }
    assert.ok(refused > 20, `only ${refused} refusals`);
    // Most allowed requests got through to do their work, not only past the role check.
    assert.ok(succeeded > 40, `only ${succeeded} allowed requests succeeded`);
  });

  test("a route that declares no role is admin-only", async () => {
    const app = buildApiServer({ store: h.store, token: BOOTSTRAP });
    app.get("/undeclared", async () => ({ ok: true }));
    try {
      for (const role of ROLES) {
        const answer = await app.inject({
          method: "GET",
          url: "/undeclared",
          headers: { authorization: `Bearer ${tokens.get(role)?.token}` },
        });
        assert.equal(answer.statusCode, role === "admin" ? 200 : 403, `${role}: ${answer.body}`);
      }
    } finally {
      await app.close();
    }
  });

  test("refusals are audit events with the token's id and route, never the token", async () => {
    const viewer = tokens.get("viewer");
    assert.ok(viewer);
    assert.equal((await h.call("DELETE", "/nodes/n9", viewer.token)).status, 403);
    assert.equal(
      (await h.call("GET", "/nodes", "orc_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .status,
      401,
    );
    const forbidden = await events(h, "Forbidden", 1);
    const mine = forbidden.find((event) => event.message.startsWith("DELETE /nodes/n9: 403"));
    assert.ok(mine, JSON.stringify(forbidden));
    assert.equal(mine.object, `token/${viewer.id}`);
    assert.equal(mine.type, "Warning");
    const unauthorized = await events(h, "Unauthorized");
    assert.ok(
      unauthorized.some(
        (event) => event.object === "token/0123456789abcdef" && event.message.startsWith("GET /nodes: 401"),
      ),
    );
    const all = JSON.stringify((await h.call("GET", "/events", BOOTSTRAP)).body);
    for (const { token } of tokens.values())
      assert.ok(!all.includes(secretOf(token)), "a secret is in the events");
  });

  test("token list shows ids and roles, never secrets nor hashes", async () => {
    const reply = await h.call("GET", "/tokens", BOOTSTRAP);
    assert.equal(reply.status, 200);
    const listed = reply.body as { id: string; role: string }[];
    for (const [role, { id, token }] of tokens) {
      assert.ok(listed.some((entry) => entry.id === id && entry.role === role));
      assert.ok(!JSON.stringify(listed).includes(secretOf(token)));
    }
    assert.ok(!JSON.stringify(listed).includes("secretSha256"));
    // What the store holds is the hash: not the secret.
    const stored = JSON.stringify(await dump(h.store));
    for (const { token } of tokens.values()) assert.ok(!stored.includes(secretOf(token)));
  });

  test("revoked, expired, unknown and malformed tokens answer 401", async () => {
    const revoked = await makeToken(h, "viewer");
    assert.equal((await h.call("GET", "/deployments", revoked.token)).status, 200);
    const revoke = await h.call("DELETE", `/tokens/${revoked.id}`, BOOTSTRAP);
    assert.equal(revoke.status, 200);
    assert.equal(revoke.body.id, revoked.id);
    const after = await h.call("GET", "/deployments", revoked.token);
    assert.equal(after.status, 401);
    assert.match(after.body.message, /not valid/);
    assert.equal((await h.call("DELETE", `/tokens/${revoked.id}`, BOOTSTRAP)).status, 404);

    const expiring = await makeToken(h, "deployer", { ttlSeconds: 60 });
    assert.equal((await h.call("GET", "/deployments", expiring.token)).status, 200);
    h.clock.offsetMs = 61_000;
    try {
      const expired = await h.call("GET", "/deployments", expiring.token);
      assert.equal(expired.status, 401);
      assert.match(expired.body.message, /expired at/);
      const listed = (await h.call("GET", "/tokens", BOOTSTRAP)).body as { id: string; expired: boolean }[];
      assert.equal(listed.find((entry) => entry.id === expiring.id)?.expired, true);
    } finally {
      h.clock.offsetMs = 0;
    }

    // Right id, wrong secret; a bootstrap-like string; no token at all.
    const viewer = tokens.get("viewer");
    assert.ok(viewer);
    const wrongSecret = `orc_${viewer.id}_${"B".repeat(43)}`;
    for (const token of [wrongSecret, "not-a-token", undefined]) {
      assert.equal((await h.call("GET", "/deployments", token)).status, 401, String(token));
    }
  });

  test("bad token requests are refused with the field named, and change nothing", async () => {
    const before = await dump(h.store);
    for (const [body, field] of [
      [{ role: "root" }, /^role: /],
      [{ role: "viewer", ttlSeconds: 0 }, /^ttlSeconds: /],
      [{ role: "viewer", description: "a\nb" }, /^description: /],
      [{ role: "viewer", extra: 1 }, /extra/],
    ] as const) {
      const reply = await h.call("POST", "/tokens", BOOTSTRAP, body);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(reply.body.message, field);
    }
    assert.equal((await h.call("DELETE", "/tokens/NOTANID", BOOTSTRAP)).status, 400);
    assert.deepEqual(await dump(h.store), before);
  });

  test("a node token joins and learns the store; it may do nothing else", async () => {
    const node = tokens.get("node");
    assert.ok(node);
    const joined = await h.call("POST", "/join", node.token, { node: "n7" });
    assert.equal(joined.status, 200);
    assert.deepEqual(joined.body, { store: "zk://10.0.0.1:2181/orchestra", zkAuth: "orchestra:pw" });
    const recorded = await events(h, "Joined");
    assert.ok(recorded.some((event) => event.object === "node/n7" && event.message.includes(node.id)));
    assert.equal((await h.call("GET", "/deployments", node.token)).status, 403);
    assert.equal((await h.call("POST", "/join", tokens.get("deployer")?.token, { node: "n7" })).status, 403);
  });
});

describe("API tokens without a bootstrap token (loopback)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test("a request without a token is the local admin, as before; a presented token is held to its role", async () => {
    assert.equal((await h.call("GET", "/deployments", undefined)).status, 200);
    const created = await h.call("POST", "/tokens", undefined, { role: "viewer" });
    assert.equal(created.status, 201);
    const viewer = created.body.token as string;
    assert.match(viewer, /^orc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal((await h.call("GET", "/deployments", viewer)).status, 200);
    const before = await dump(h.store);
    assert.equal(
      (await h.call("PUT", "/deployments", viewer, { name: "web", image: "nginx:1.27" })).status,
      403,
    );
    assert.deepEqual(await dump(h.store), before);
    assert.equal((await h.call("GET", "/deployments", "orc_0123456789abcdef_wrong")).status, 401);
  });
});

describe("audit events of refusals", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ token: BOOTSTRAP, refusalEventsPerMinute: 3 });
  });
  after(async () => {
    await h?.close();
  });

  test("are bounded per minute: a flood of bad tokens records 3 events, the rest counted in the next", async () => {
    for (let i = 0; i < 20; i++) assert.equal((await h.call("GET", "/nodes", `bad-${i}`)).status, 401);
    assert.equal((await events(h, "Unauthorized", 4)).length, 3);
    h.clock.offsetMs = 61_000;
    try {
      assert.equal((await h.call("GET", "/nodes", "bad-again")).status, 401);
      const recorded = await events(h, "Unauthorized", 4);
      assert.equal(recorded.length, 4);
      assert.match(recorded.at(-1)?.message ?? "", /\(17 earlier refusals not recorded\)$/);
      assert.ok(!JSON.stringify(recorded).includes("bad-"), "a presented token is in the events");
    } finally {
      h.clock.offsetMs = 0;
    }
  });
});
