// Nodes over the real HTTP API on the embedded store: GET /nodes shows each node's pod subnet, and
// DELETE /nodes/{name} removes a node whose worker is gone, giving its subnet back to the next new node.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import type { NodeInfo } from "../src/core/types.js";
import { allocateNodeSubnet } from "../src/network/subnet-allocator.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { assertAnswerMatchesContract } from "./support/api-contract.js";
import { runCli } from "./support/cluster.js";

function registration(name: string, podSubnet: string): NodeInfo {
  return {
    name,
    address: "10.0.0.1",
    labels: {},
    capacity: { cpu: 1000, memory: 2 ** 30 },
    podSubnet,
    schedulable: true,
    registeredAt: new Date().toISOString(),
  };
}

describe("nodes and their pod subnets over HTTP", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let api: RunningApiServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-api-nodes-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    api = await startApiServer({ store, host: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await api?.close();
    await store?.close();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = async (method: string, path: string) => {
    const response = await fetch(`${api.url}${path}`, { method });
    const answer = { status: response.status, body: await response.json() };
    // Every answer is one /openapi.json describes.
    await assertAnswerMatchesContract(method, path, answer.status, answer.body);
    return answer;
  };

  test("GET /nodes and get nodes -o wide show each node's pod subnet, also of a node whose worker is gone", async () => {
    const live = await allocateNodeSubnet(store, { node: "live", address: "10.0.0.1" });
    await allocateNodeSubnet(store, { node: "gone", address: "10.0.0.2" });
    await store.create(keys.node("live"), registration("live", live.subnet), { ephemeral: true });
    const { status, body } = await request("GET", "/nodes");
    assert.equal(status, 200);
    assert.deepEqual(
      (body as NodeInfo[]).map((node) => [node.name, node.podSubnet, node.address]),
      [
        ["gone", "10.42.1.0/24", "10.0.0.2"],
        ["live", "10.42.0.0/24", "10.0.0.1"],
      ],
    );
    const wide = await runCli(["get", "nodes", "-o", "wide"], { server: api.url });
    assert.equal(wide.code, 0, wide.stderr);
    const [header, ...rows] = wide.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /ADDRESS {3,}POD-SUBNET {3,}LABELS$/);
    assert.match(rows[0] ?? "", /^gone {3,}NotReady\S* .* 10\.0\.0\.2 {3,}10\.42\.1\.0\/24 {3,}<none>$/);
    assert.match(rows[1] ?? "", /^live {3,}Ready .* 10\.0\.0\.1 {3,}10\.42\.0\.0\/24 {3,}<none>$/);
  });

  test("a registered node cannot be deleted (409), and nothing changes", async () => {
    const { status, body } = await request("DELETE", "/nodes/live");
    assert.equal(status, 409);
    assert.equal(body.message, 'node "live" is registered: stop its worker first, then delete the node');
    assert.ok(await store.get(keys.nodeSubnet("live")));
  });

  test("a gone node is deleted: its subnet is released and handed to the next new node", async () => {
    await store.set(keys.nodeConfig("gone"), { labels: { zone: "a" } });
    const deleted = await runCli(["delete", "node", "gone"], { server: api.url });
    assert.deepEqual(
      { code: deleted.code, stdout: deleted.stdout, stderr: deleted.stderr },
      { code: 0, stdout: "node/gone deleted (pod subnet 10.42.1.0/24 released)\n", stderr: "" },
    );
    const { body } = await request("GET", "/nodes");
    assert.deepEqual(
      (body as NodeInfo[]).map((node) => node.name),
      ["live"],
    );
    assert.equal(await store.get(keys.nodeConfig("gone")), undefined);
    const next = await allocateNodeSubnet(store, { node: "newcomer", address: "10.0.0.3" });
    assert.equal(next.subnet, "10.42.1.0/24");
  });

  test("an unknown node is 404, a bad name 400", async () => {
    const missing = await request("DELETE", "/nodes/nobody");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'node "nobody" not found');
    const bad = await request("DELETE", "/nodes/a%20b");
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^name: /);
    const cli = await runCli(["delete", "node", "nobody"], { server: api.url });
    assert.deepEqual([cli.code, cli.stderr], [1, 'error: node "nobody" not found\n']);
  });
});
