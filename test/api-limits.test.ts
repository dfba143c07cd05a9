// The API server over real HTTP on the embedded store: lists served in pages with continue tokens, caps on the
// number of objects, deep nesting refused before parsing, and many simultaneous unconditional writes of one
// deployment all landing. Each refusal is a 4xx naming the field or limit, and leaves the store as it was.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newPod } from "../src/controller/pod-factory.js";
import { DEFAULT_PAGE_SIZE, MAX_BODY_DEPTH, MAX_LABELS, MAX_PAGE_SIZE } from "../src/core/limits.js";
import type { Deployment } from "../src/core/types.js";
import { keys } from "../src/store/keys.js";
import { type Harness, healthzMs, JSON_TYPE, send, snapshot, startHarness } from "./support/api-harness.js";

const put = (h: Harness, name: string, extra: object = {}) =>
  send(
    h.url,
    "PUT",
    "/deployments",
    JSON_TYPE,
    JSON.stringify({ name, image: "nginx:1.27", replicas: 0, ...extra }),
  );

/** Every item of `path`, page by page, following the x-continue header; the pages' sizes too. */
async function allPages(
  h: Harness,
  path: string,
  limit?: number,
): Promise<{ names: string[]; sizes: number[] }> {
  const names: string[] = [];
  const sizes: number[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams();
    if (limit !== undefined) query.set("limit", String(limit));
    if (token !== undefined) query.set("continue", token);
    const separator = path.includes("?") ? "&" : "?";
    const reply = await send(h.url, "GET", `${path}${separator}${query}`, {});
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    names.push(...reply.body.map((item: { name: string }) => item.name));
    sizes.push(reply.body.length);
    token = reply.headers["x-continue"] as string | undefined;
    assert.ok(sizes.length < 100, "the pages never end");
  } while (token !== undefined);
  return { names, sizes };
}

describe("lists in pages", () => {
  let h: Harness;
  const names = Array.from({ length: 23 }, (_, i) => `web-${String(i).padStart(2, "0")}`);
  before(async () => {
    h = await startHarness();
    // Written out of order: pages come sorted by name all the same.
    for (const name of [...names].reverse()) assert.equal((await put(h, name)).status, 201);
    for (const name of names.slice(0, 5)) {
      const reply = await send(
        h.url,
        "PUT",
        `/configs/${name}`,
        JSON_TYPE,
        JSON.stringify({ data: { a: "eA==" } }),
      );
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
    }
  });
  after(async () => {
    await h?.close();
  });

  test("every list is served in pages of ?limit=, sorted by name, the last without x-continue", async () => {
    const deployments = await allPages(h, "/deployments", 10);
    assert.deepEqual(deployments.names, names);
    assert.deepEqual(deployments.sizes, [10, 10, 3]);
    const exact = await allPages(h, "/deployments", 23);
    assert.deepEqual(exact.sizes, [23], "a page that ends the list has no token");
    const configs = await allPages(h, "/configs", 2);
    assert.deepEqual(configs.names, names.slice(0, 5));
    assert.deepEqual(configs.sizes, [2, 2, 1]);
    // Without ?limit, the default page size; nodes and volumes take the same query.
    const whole = await send(h.url, "GET", "/deployments", {});
    assert.equal(whole.body.length, 23);
    assert.equal(whole.headers["x-continue"], undefined);
    for (const path of ["/nodes", "/volumes", "/secrets", "/pods?deployment=web-01"]) {
      const reply = await send(h.url, "GET", `${path}${path.includes("?") ? "&" : "?"}limit=1`, {});
      assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.body)}`);
    }
    assert.equal(DEFAULT_PAGE_SIZE, 500);
    // Nodes are cut from a list computed whole: the same pages, the same tokens.
    for (const node of ["n-c", "n-a", "n-b"])
      await h.store.set(keys.nodeConfig(node), { unschedulable: true });
    const nodes = await allPages(h, "/nodes", 2);
    assert.deepEqual(nodes.names, ["n-a", "n-b", "n-c"]);
    assert.deepEqual(nodes.sizes, [2, 1]);
  });

  test("published ports are paged in port order", async () => {
    const ports = [9102, 9100, 9101];
    for (const [i, publishedPort] of ports.entries()) {
      const reply = await put(h, `svc-${i}`, { ports: [{ containerPort: 80, publishedPort }] });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
    }
    try {
      const pages: number[][] = [];
      let token: string | undefined;
      do {
        const query = `limit=2${token === undefined ? "" : `&continue=${token}`}`;
        const reply = await send(h.url, "GET", `/services?${query}`, {});
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        pages.push(reply.body.map((s: { publishedPort: number }) => s.publishedPort));
        token = reply.headers["x-continue"] as string | undefined;
      } while (token !== undefined && pages.length < 5);
      assert.deepEqual(pages, [[9100, 9101], [9102]]);
    } finally {
      for (const i of ports.keys()) await send(h.url, "DELETE", `/deployments/svc-${i}`, JSON_TYPE);
    }
  });

  test("pods filtered by deployment are paged over the matching pods only", async () => {
    // Pods as the controller makes them: 3 of web-01 among 20 of another deployment.
    const owner = (await h.store.get<Deployment>(keys.deployment("web-01")))?.value as Deployment;
    for (let i = 0; i < 23; i++) {
      const deployment = i % 8 === 1 ? "web-01" : "web-02";
      const id = `p${String(i).padStart(2, "0")}`;
      const made = newPod(owner, new Set(), owner.createdAt);
      await h.store.set(keys.pod(id), { ...made, id, name: `pod-${i}`, deployment });
    }
    try {
      const pods = await allPages(h, "/pods?deployment=web-01", 2);
      assert.deepEqual(pods.names, ["pod-1", "pod-9", "pod-17"]);
      assert.deepEqual(pods.sizes, [2, 1]);
    } finally {
      for (let i = 0; i < 23; i++) await h.store.delete(keys.pod(`p${String(i).padStart(2, "0")}`));
    }
  });

  test("a bad limit or continue token is a 400 naming it", async () => {
    for (const limit of ["0", String(MAX_PAGE_SIZE + 1), "abc", "1.5"]) {
      const reply = await send(h.url, "GET", `/deployments?limit=${limit}`, {});
      assert.equal(reply.status, 400, `limit=${limit}`);
      assert.equal(reply.body.field, "limit");
      assert.match(reply.body.message, new RegExp(`^limit: must be an integer from 1 to ${MAX_PAGE_SIZE}`));
    }
    const first = await send(h.url, "GET", "/deployments?limit=5", {});
    const token = first.headers["x-continue"] as string;
    assert.ok(token);
    const forged = Buffer.from(JSON.stringify({ list: "deployments", after: "../x" })).toString("base64url");
    for (const [path, why] of [
      ["/deployments?continue=not-a-token", /\(not a token\)/],
      [`/configs?continue=${token}`, /of configs \(a token of another list\)/],
      [`/deployments?continue=${forged}`, /x-continue header of a page of deployments/],
      [`/deployments?continue=${"x".repeat(5000)}`, /x-continue header of a previous page/],
    ] as const) {
      const reply = await send(h.url, "GET", path, {});
      assert.equal(reply.status, 400, `${path.slice(0, 60)}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.field, "continue");
      assert.match(reply.body.message, why);
    }
  });
});

describe("limits on the number of objects", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ maxDeployments: 3 });
  });
  after(async () => {
    await h?.close();
  });

  test("a deployment beyond --max-deployments is a 403 naming the limit; updates still pass", async () => {
    for (const name of ["a", "b", "c"]) assert.equal((await put(h, name)).status, 201);
    const before = await snapshot(h.store);
    const refused = await send(
      h.url,
      "PUT",
      "/deployments",
      { ...JSON_TYPE, connection: "keep-alive" },
      JSON.stringify({ name: "d", image: "nginx:1.27" }),
    );
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(
      refused.body.message,
      "deployments: the cluster holds 3, at the limit of 3; delete some first or start the API server with a higher --max-deployments",
    );
    assert.notEqual(refused.headers.connection, "close", "the body was read: the connection stays usable");
    assert.equal(await snapshot(h.store), before);
    assert.equal((await put(h, "a", { replicas: 2 })).status, 200);
    assert.equal((await send(h.url, "DELETE", "/deployments/c", JSON_TYPE)).status, 200);
    assert.equal((await put(h, "d")).status, 201);
  });

  test("a node's labels stay within the limit however many PATCHes add to them", async () => {
    await h.store.set(keys.nodeConfig("n1"), { labels: {} });
    const patch = (labels: Record<string, string | null>) =>
      send(h.url, "PATCH", "/nodes/n1/labels", JSON_TYPE, JSON.stringify({ labels }));
    const batch = (from: number, count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`l${from + i}`, "v"]));
    assert.equal((await patch(batch(0, MAX_LABELS))).status, 200);
    const before = await snapshot(h.store);
    const refused = await patch(batch(MAX_LABELS, 1));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.field, "labels");
    assert.match(refused.body.message, /^labels: the node would have 65 labels; the limit is 64/);
    assert.equal(await snapshot(h.store), before);
    // Removing one makes room for another.
    assert.equal((await patch({ l0: null, [`l${MAX_LABELS}`]: "v" })).status, 200);
  });
});

describe("deep nesting and simultaneous writes", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  test("a body nested past the limit is a 400 naming it, cheaply, and changes nothing", async () => {
    const before = await snapshot(h.store);
    // 500 KB, within the body limit: all of it brackets.
    const deep = `{"name":"web","image":"nginx:1.27","env":${"[".repeat(250_000)}${"]".repeat(250_000)}}`;
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => send(h.url, "PUT", "/deployments", JSON_TYPE, deep)),
    );
    const health = await healthzMs(h.url);
    for (const reply of replies) {
      assert.equal(reply.status, 400);
      assert.equal(
        reply.body.message,
        `body: nests objects and arrays deeper than the limit of ${MAX_BODY_DEPTH}`,
      );
    }
    assert.ok(performance.now() - started < 2000, `4 refusals took ${performance.now() - started} ms`);
    assert.ok(health < 1000, `/healthz took ${health} ms`);
    // Just past the limit is refused the same way; brackets inside strings are text, not nesting.
    const justPast = JSON.parse(`${"[".repeat(MAX_BODY_DEPTH)}${"]".repeat(MAX_BODY_DEPTH)}`);
    const refused = await put(h, "web", { env: { A: justPast } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /^body: nests objects and arrays deeper than the limit/);
    assert.equal(await snapshot(h.store), before);
    // A charset other than UTF-8 would be misread: a 415, not a body read as UTF-8.
    const latin1 = await send(
      h.url,
      "PUT",
      "/deployments",
      { "content-type": "application/json; charset=latin1" },
      JSON.stringify({ name: "web", image: "nginx:1.27", env: { A: "caf\u00e9" } }),
    );
    assert.equal(latin1.status, 415, JSON.stringify(latin1.body));
    assert.equal(latin1.body.message, 'content-type: charset "latin1" is not served; send UTF-8');
    assert.equal(await snapshot(h.store), before);
    const quoted = await put(h, "web", { env: { A: "[".repeat(100) } });
    assert.equal(quoted.status, 201, JSON.stringify(quoted.body));
  });

  test("200 simultaneous unconditional PUTs of one deployment all land; none is a 409", async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => put(h, "race", { replicas: (i % 7) + 1, env: { N: String(i) } })),
    );
    const statuses = replies.map((reply) => reply.status);
    assert.deepEqual(
      statuses.filter((status) => status !== 200 && status !== 201),
      [],
      JSON.stringify(replies.find((reply) => reply.status >= 300)?.body),
    );
    assert.equal(statuses.filter((status) => status === 201).length, 1);
    const generations = replies.map((reply) => reply.body.generation as number).sort((a, b) => a - b);
    assert.deepEqual(
      generations,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    // If-Match is still a precondition: a stale one is the only 409.
    const stale = await send(
      h.url,
      "PUT",
      "/deployments",
      { ...JSON_TYPE, "if-match": "1" },
      JSON.stringify({ name: "race", image: "nginx:1.27" }),
    );
    assert.equal(stale.status, 409);
  });
});
