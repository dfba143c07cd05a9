// Workers joining with join tokens, on a real ZooKeeper locked with --zk-auth-file and a real Docker engine:
// `orchestra run api` hands the store's address and credential to node tokens only (POST /join). A worker
// without a join token, with a revoked one, or with the store's address but not its credential cannot register;
// one with a valid node token registers. Tokens are made with the CLI, whose `token create` prints the token
// alone on stdout.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ClusterEvent, NodeView } from "../../src/core/types.js";
import { eventually, OrchestraProcess, runCli } from "../support/cluster.js";
import { DistributedRun } from "../support/processes.js";

const BOOTSTRAP = "join-test-bootstrap-admin-token";
const TOKEN_FORMAT = /^orc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/;

let run: DistributedRun;
let dir: string;
let server: string;
let node: string;

/** `orchestra --server <api> --token <bootstrap> ...args`. */
function admin(args: string[]) {
  return runCli(["--token", BOOTSTRAP, ...args], { server });
}

async function registeredNodes(): Promise<NodeView[]> {
  const response = await fetch(`${server}/nodes`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as NodeView[];
}

function workerArgs(name: string): string[] {
  return [
    "--name",
    name,
    "--address",
    "127.0.0.1",
    "--network",
    run.networkOf(name),
    "--pod-cidr",
    run.podCidr,
  ];
}

describe("workers join with a node token", { timeout: 180_000 }, () => {
  before(async () => {
    run = new DistributedRun({ nodes: ["a"], sessionTimeoutMs: 2000 });
    node = run.nodeNames[0] as string;
    dir = mkdtempSync(join(tmpdir(), "orchestra-join-test-"));
    writeFileSync(join(dir, "zk-auth"), "orchestra:join-test-password\n", { mode: 0o600 });
    writeFileSync(join(dir, "token"), `${BOOTSTRAP}\n`, { mode: 0o600 });
    await run.startZooKeeper();
    const api = await OrchestraProcess.start([
      "run",
      "api",
      "--store",
      run.storeUrl,
      "--zk-auth-file",
      join(dir, "zk-auth"),
      "--token-file",
      join(dir, "token"),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]);
    run.processes.push(api);
    server = api.url;
  });

  after(async () => {
    try {
      await run?.cleanup();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without a valid join token, or with the store's address alone, a worker cannot register", async () => {
    const withoutToken = await runCli(["run", "worker", ...workerArgs(node)], { server });
    assert.notEqual(withoutToken.code, 0);
    assert.match(withoutToken.stderr, /^error: --store: required, or --server URL with --join-token/m);

    const revoked = await admin(["token", "create", "--role", "node"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, TOKEN_FORMAT);
    const revokedId = revoked.stdout.slice(4, 20);
    const revoke = await admin(["token", "revoke", revokedId]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const withRevoked = await runCli(
      ["run", "worker", "--join-token", revoked.stdout.trim(), ...workerArgs(node)],
      { server },
    );
    assert.notEqual(withRevoked.code, 0);
    assert.match(withRevoked.stderr, /^error: join: unauthorized: the API server rejected the token/m);

    // A viewer token is valid, but not for joining.
    const viewer = await admin(["token", "create", "--role", "viewer"]);
    const withViewer = await runCli(
      ["run", "worker", "--join-token", viewer.stdout.trim(), ...workerArgs(node)],
      {
        server,
      },
    );
    assert.notEqual(withViewer.code, 0);
    assert.match(withViewer.stderr, /^error: join: authorization: role viewer may not POST \/join/m);

    // Knowing where the store is does not help: its znodes admit only the identity the API hands out.
    const guessed = await runCli(["run", "worker", "--store", run.storeUrl, ...workerArgs(node)], {
      server,
      timeoutMs: 60_000,
    });
    assert.notEqual(guessed.code, 0);
    assert.match(guessed.stderr, /NoAuth/);

    assert.deepEqual(
      (await registeredNodes()).map((registered) => registered.name),
      [],
    );
  });

  test("with a node token, a worker joins and registers; the join is an event", async () => {
    const created = await admin([
      "token",
      "create",
      "--role",
      "node",
      "--ttl",
      "1h",
      "--description",
      "workers",
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, TOKEN_FORMAT);
    assert.match(created.stderr, /role node, expires /);
    const worker = await OrchestraProcess.start(
      ["--server", server, "run", "worker", "--join-token", created.stdout.trim(), ...workerArgs(node)],
      { waitForApi: false, readyText: "worker running on" },
    );
    run.processes.push(worker);
    await eventually(async () => {
      const found = (await registeredNodes()).find((registered) => registered.name === node);
      assert.equal(found?.ready, true, JSON.stringify(found));
    });
    const events = (await (
      await fetch(`${server}/events?name=node/${node}`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } })
    ).json()) as ClusterEvent[];
    const id = created.stdout.slice(4, 20);
    assert.ok(
      events.some((event) => event.reason === "Joined" && event.message.includes(id)),
      JSON.stringify(events),
    );
    const listed = await admin(["token", "list"]);
    assert.match(listed.stdout, new RegExp(`^${id} +node +\\S+ +in (59m|1h) +workers$`, "m"));
  });
});
