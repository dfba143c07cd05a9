// The built `orchestra` CLI, run as a subprocess against real API servers on the embedded store:
// what a user sees on stdout and stderr, the exit codes, and what ends up in the store.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import type { Deployment, NodeInfo, Pod } from "../src/core/types.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { removePod, savePod } from "../src/store/testing/pod-test-support.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const TOKEN = "cli-test-token";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let backend: EmbeddedBackend;
let store: Store;
let server: RunningApiServer;
let securedServer: RunningApiServer;

/** Runs `orchestra ...args` against `server` (unless env says otherwise) and collects what it printed. */
function orchestra(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  // A clean environment: an ORCHESTRA_TOKEN of the machine running the tests must not leak in.
  const env = { PATH: process.env.PATH ?? "", ORCHESTRA_SERVER: server.url, ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // A CLI that hangs must fail the test, not outlive it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Asserts a failed run: exit code 1, nothing on stdout, exactly the one error line on stderr. */
function assertError(run: Run, line: string): void {
  assert.equal(run.stderr, `error: ${line}\n`);
  assert.equal(run.stdout, "");
  assert.equal(run.code, 1);
}

/** A table's lines split into cells: columns are separated by at least three spaces. */
function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/ {3,}/));
}

async function stored(name: string): Promise<Deployment | undefined> {
  return (await store.get<Deployment>(keys.deployment(name)))?.value;
}

async function clearDeployments(): Promise<void> {
  for (const entry of await store.list(keys.deployments)) await store.delete(entry.key);
}

/** A port that nothing listens on: bound by us a moment ago, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "orchestra-cli-"));
  backend = EmbeddedBackend.open(join(dir, "store"));
  store = backend.connect();
  // Two API servers on one store: the API is stateless. One asks for a token.
  server = await startApiServer({ store, port: 0 });
  securedServer = await startApiServer({ store, port: 0, token: TOKEN });
});

after(async () => {
  await server?.close();
  await securedServer?.close();
  await store?.close();
  backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("orchestra deploy and get", () => {
  before(clearDeployments);

  test("deploy creates, then reports unchanged, then configured", async () => {
    const args = [
      "deploy",
      "web",
      "--image",
      "nginx:alpine",
      "--replicas",
      "3",
      "--port",
      "http:80",
      "--env",
      "MODE=prod",
    ];
    const created = await orchestra([...args, "--", "nginx", "-g", "daemon off;"]);
    assert.equal(created.stderr, "");
    assert.equal(created.stdout, "deployment/web created\n");
    assert.equal(created.code, 0);
    const deployment = await stored("web");
    assert.deepEqual(
      {
        image: deployment?.image,
        replicas: deployment?.replicas,
        ports: deployment?.ports,
        env: deployment?.env,
        command: deployment?.command,
      },
      {
        image: "nginx:alpine",
        replicas: 3,
        ports: [{ name: "http", containerPort: 80, protocol: "tcp" }],
        env: { MODE: "prod" },
        command: ["nginx", "-g", "daemon off;"],
      },
    );

    const again = await orchestra([...args, "--", "nginx", "-g", "daemon off;"]);
    assert.equal(again.stdout, "deployment/web unchanged\n");
    assert.equal((await stored("web"))?.generation, 1);

    // deploy sets the whole spec: what the flags leave out (command, env, ports) is gone afterwards.
    const changed = await orchestra(["deploy", "web", "--image", "nginx:1.27", "--replicas", "3"]);
    assert.equal(changed.stdout, "deployment/web configured\n");
    const after = await stored("web");
    assert.equal(after?.image, "nginx:1.27");
    assert.equal(after?.generation, 2);
    assert.equal(after?.command, undefined);
    assert.equal(after?.env, undefined);
  });

  test("get deployments as a table, a wide table, JSON and YAML", async () => {
    const deployment = await stored("web");
    assert.ok(deployment);
    // Two pods of the current revision, one running: READY counts running pods against the desired 3.
    await savePod(store, podOf("web-aaaaa", "p1", deployment.hash, "Running"));
    await savePod(store, podOf("web-bbbbb", "p2", deployment.hash, "Pending"));
    try {
      const table = await orchestra(["get", "deployments"]);
      assert.equal(table.code, 0);
      assert.equal(table.stderr, "");
      const [header, row, ...rest] = cells(table.stdout);
      assert.deepEqual(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
      assert.deepEqual(row?.slice(0, 4), ["web", "1/3", "2", "1"]);
      assert.match(row?.[4] ?? "", /^\d+s$/);
      assert.deepEqual(rest, []);

      const wide = await orchestra(["get", "deploy", "-o", "wide"]);
      const [wideHeader, wideRow] = cells(wide.stdout);
      assert.deepEqual(wideHeader, [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "IMAGE",
        "HASH",
        "ROLLOUT",
        "PUBLISHED",
      ]);
      assert.deepEqual(wideRow?.slice(5, 7), ["nginx:1.27", deployment.hash]);

      const json = await orchestra(["get", "deployments", "-o", "json"]);
      assert.equal(json.code, 0);
      const list = JSON.parse(json.stdout) as (Deployment & { status: unknown })[];
      assert.deepEqual(list, [
        {
          ...deployment,
          status: { replicas: 3, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
        },
      ]);

      const yaml = await orchestra(["get", "deployments", "-o", "yaml"]);
      assert.deepEqual(parseYaml(yaml.stdout), list);

      // With a name: the one object, not a list.
      const one = await orchestra(["get", "deployment", "web", "-o", "json"]);
      assert.deepEqual(JSON.parse(one.stdout), list[0]);
      const oneYaml = await orchestra(["get", "deployment/web", "-o", "yaml"]);
      assert.deepEqual(parseYaml(oneYaml.stdout), list[0]);
    } finally {
      await removePod(store, "p1");
      await removePod(store, "p2");
    }
  });

  test("get pods and nodes, plain and wide", async () => {
    const node: NodeInfo = {
      name: "node-1",
      address: "10.1.0.7",
      labels: { zone: "a" },
      capacity: { cpu: 2000, memory: 4 * 2 ** 30 },
      schedulable: true,
      registeredAt: new Date().toISOString(),
    };
    await store.set(keys.node("node-1"), node);
    const running = podOf("web-aaaaa", "p1", "h1", "Running", {
      node: "node-1",
      ip: "172.31.0.2",
      restarts: 2,
    });
    const pending = podOf("web-bbbbb", "p2", "h1", "Pending", { message: "no ready nodes" });
    await savePod(store, running);
    await savePod(store, pending);
    try {
      const pods = cells((await orchestra(["get", "pods"])).stdout);
      assert.deepEqual(
        pods.map((row) => row.slice(0, 4)),
        [
          ["NAME", "DEPLOYMENT", "STATUS", "RESTARTS"],
          ["web-aaaaa", "web", "Running", "2"],
          ["web-bbbbb", "web", "Pending", "0"],
        ],
      );

      const wide = cells((await orchestra(["get", "po", "-o", "wide"])).stdout);
      assert.deepEqual(wide[0], ["NAME", "DEPLOYMENT", "STATUS", "NODE", "IP", "RESTARTS", "AGE", "MESSAGE"]);
      assert.deepEqual(wide[1]?.slice(0, 6), ["web-aaaaa", "web", "Running", "node-1", "172.31.0.2", "2"]);
      assert.deepEqual(wide[2]?.slice(0, 6), ["web-bbbbb", "web", "Pending", "<none>", "<none>", "0"]);
      assert.equal(wide[2]?.[7], "no ready nodes");

      const onNode = JSON.parse(
        (await orchestra(["get", "pods", "--node", "node-1", "-o", "json"])).stdout,
      ) as Pod[];
      assert.deepEqual(
        onNode.map((pod) => pod.name),
        ["web-aaaaa"],
      );
      const byName = await orchestra(["get", "pod", "web-bbbbb", "-o", "yaml"]);
      assert.deepEqual(parseYaml(byName.stdout), pending);

      const nodes = cells((await orchestra(["get", "nodes"])).stdout);
      assert.deepEqual(nodes[0], ["NAME", "STATUS", "PODS", "CPU", "MEMORY", "AGE"]);
      assert.deepEqual(nodes[1]?.slice(0, 3), ["node-1", "Ready", "1"]);
      const wideNodes = cells((await orchestra(["get", "no", "-o", "wide"])).stdout);
      assert.deepEqual(wideNodes[0]?.slice(6), ["ADDRESS", "POD-SUBNET", "LABELS"]);
      assert.deepEqual(wideNodes[1]?.slice(6), ["10.1.0.7", "<none>", "zone=a"]);

      assertError(await orchestra(["get", "pod", "web-zzzzz"]), 'pod "web-zzzzz" not found');
    } finally {
      await removePod(store, "p1");
      await removePod(store, "p2");
      await store.delete(keys.node("node-1"));
    }
  });

  test("an empty list says so on stderr and succeeds; JSON prints an empty list", async () => {
    const pods = await orchestra(["get", "pods"]);
    assert.equal(pods.stdout, "");
    assert.equal(pods.stderr, "No resources found.\n");
    assert.equal(pods.code, 0);
    const json = await orchestra(["get", "nodes", "-o", "json"]);
    assert.deepEqual(JSON.parse(json.stdout), []);
    assert.equal(json.code, 0);
  });
});

describe("orchestra apply", () => {
  before(clearDeployments);

  test("applies every document of a multi-document YAML file, one line each", async () => {
    const file = join(dir, "deployments.yaml");
    writeFileSync(
      file,
      [
        "name: api",
        "image: registry.local:5000/team/api:1.0",
        "replicas: 2",
        "env:",
        "  LOG_LEVEL: debug",
        "---",
        "# the cache",
        "name: cache",
        "image: redis:7",
        "ports:",
        "  - name: redis",
        "    containerPort: 6379",
        "---",
        "",
      ].join("\n"),
    );
    const first = await orchestra(["apply", "-f", file]);
    assert.equal(first.stderr, "");
    assert.equal(first.stdout, "deployment/api created\ndeployment/cache created\n");
    assert.equal(first.code, 0);
    assert.equal((await stored("api"))?.replicas, 2);
    assert.deepEqual((await stored("api"))?.env, { LOG_LEVEL: "debug" });
    assert.deepEqual((await stored("cache"))?.ports, [
      { name: "redis", containerPort: 6379, protocol: "tcp" },
    ]);

    const again = await orchestra(["apply", "-f", file]);
    assert.equal(again.stdout, "deployment/api unchanged\ndeployment/cache unchanged\n");
  });

  test("reads JSON from stdin with -f -", async () => {
    const input = JSON.stringify([
      { name: "api", image: "registry.local:5000/team/api:1.1", replicas: 2, env: { LOG_LEVEL: "debug" } },
      { name: "worker", image: "busybox", command: ["sleep", "3600"] },
    ]);
    const run = await orchestra(["apply", "-f", "-"], { input });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "deployment/api configured\ndeployment/worker created\n");
    assert.equal((await stored("api"))?.image, "registry.local:5000/team/api:1.1");
    assert.deepEqual((await stored("worker"))?.command, ["sleep", "3600"]);
  });

  test("stops at the first bad document, naming it, before writing anything", async () => {
    const input = "name: fresh\nimage: busybox\n---\nname: broken\nimage: busybox\nreplicas: 5000\n";
    assertError(
      await orchestra(["apply", "-f", "-"], { input }),
      'stdin: document 2 ("broken"): replicas: must be an integer from 0 to 1000',
    );
    assert.equal(await stored("fresh"), undefined);

    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: fresh\nimage: busybox\n---\nname: [unclosed\n");
    const syntax = await orchestra(["apply", "-f", file]);
    assert.match(syntax.stderr, new RegExp(`^error: ${file}: document 2: .+\\n$`));
    assert.equal(syntax.code, 1);
    assert.equal(await stored("fresh"), undefined);

    assertError(
      await orchestra(["apply", "-f", join(dir, "missing.yaml")]),
      `cannot read ${join(dir, "missing.yaml")} (no such file)`,
    );
  });
});

describe("orchestra scale and delete", () => {
  before(clearDeployments);

  test("scale changes only the replicas", async () => {
    await orchestra(["deploy", "web", "--image", "nginx:alpine", "--env", "A=1", "--label", "tier=front"]);
    const before = await stored("web");
    const run = await orchestra(["scale", "web", "4"]);
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "deployment/web scaled\n");
    assert.equal(run.code, 0);
    const after = await stored("web");
    assert.equal(after?.replicas, 4);
    assert.equal(after?.generation, (before?.generation ?? 0) + 1);
    assert.deepEqual(after?.env, { A: "1" });
    assert.deepEqual(after?.labels, { tier: "front" });
    assert.equal(after?.hash, before?.hash);
  });

  test("delete removes the deployment; a second delete finds nothing", async () => {
    const run = await orchestra(["delete", "web"]);
    assert.equal(run.stdout, "deployment/web deleted\n");
    assert.equal(run.code, 0);
    assert.equal(await stored("web"), undefined);
    assertError(await orchestra(["delete", "web"]), 'deployment "web" not found');
    const empty = await orchestra(["get", "deployments"]);
    assert.equal(empty.stderr, "No resources found.\n");
    assert.equal(empty.code, 0);
  });
});

describe("orchestra errors", () => {
  test("an invalid replica count is refused before any request, in the server's words", async () => {
    assertError(
      await orchestra(["deploy", "bad", "--image", "nginx", "--replicas", "abc"]),
      "replicas: must be an integer from 0 to 1000",
    );
    assertError(await orchestra(["scale", "bad", "-3"]), "replicas: must be an integer from 0 to 1000");
    assert.equal(await stored("bad"), undefined);
  });

  test("the server's own validation errors come through as one line", async () => {
    assertError(
      await orchestra(["get", "deployment", "Not_A_Name"]),
      "name: must be a DNS label: 1 to 63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
    );
  });

  test("an unknown deployment is named", async () => {
    assertError(await orchestra(["get", "deployment", "nope"]), 'deployment "nope" not found');
    assertError(await orchestra(["scale", "nope", "2"]), 'deployment "nope" not found');
  });

  test("an unreachable server is named with the reason", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    assertError(
      await orchestra(["get", "deployments"], { env: { ORCHESTRA_SERVER: url } }),
      `cannot reach the API server at ${url} (connection refused)`,
    );
    // --server wins over the environment.
    assertError(
      await orchestra(["get", "pods", "--server", url]),
      `cannot reach the API server at ${url} (connection refused)`,
    );
  });

  test("a token-protected server refuses a missing or wrong token and accepts the right one", async () => {
    const env = { ORCHESTRA_SERVER: securedServer.url };
    assertError(
      await orchestra(["get", "deployments"], { env }),
      "unauthorized: the API server requires a token (use --token or ORCHESTRA_TOKEN)",
    );
    assertError(
      await orchestra(["get", "deployments", "--token", "wrong"], { env }),
      "unauthorized: the API server rejected the token",
    );
    const withFlag = await orchestra(["get", "nodes", "--token", TOKEN], { env });
    assert.equal(withFlag.code, 0);
    const withEnv = await orchestra(["get", "nodes", "-o", "json"], {
      env: { ...env, ORCHESTRA_TOKEN: TOKEN },
    });
    assert.equal(withEnv.code, 0);
    assert.deepEqual(JSON.parse(withEnv.stdout), []);
  });

  test("an unknown command, type or flag is one line and exit code 1", async () => {
    assertError(await orchestra(["frobnicate"]), "unknown command 'frobnicate'");
    assertError(await orchestra(["gett", "pods"]), "unknown command 'gett' (Did you mean get?)");
    assertError(
      await orchestra(["get", "widgets"]),
      'unknown resource type "widgets" (expected deployments, pods, nodes, configs, secrets or volumes)',
    );
    assertError(await orchestra(["get", "pods", "--colour"]), "unknown option '--colour'");
    assertError(await orchestra(["deploy", "web"]), "required option '--image <image>' not specified");
  });

  test("bad lost-node settings of the controller are refused before it starts, naming the flag", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orchestra-cli-controller-"));
    try {
      const store = `embedded:${join(dir, "data")}`;
      const controller = (...flags: string[]) => orchestra(["run", "controller", "--store", store, ...flags]);
      assertError(
        await controller("--mass-loss-fraction", "1.5"),
        'mass-loss-fraction: must be a number from 0 to 1, got "1.5"',
      );
      assertError(
        await controller("--node-grace", "1.5s"),
        'node-grace: must be a whole number of milliseconds, got "1.5s"',
      );
      assertError(
        await controller("--mass-loss-hold", "-1"),
        'mass-loss-hold: must be a whole number of seconds, got "-1"',
      );
      assert.equal(existsSync(join(dir, "data")), false, "no store was opened");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--help prints usage on stdout and succeeds", async () => {
    const help = await orchestra(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: orchestra /);
    for (const command of ["deploy", "get", "scale", "delete", "apply"])
      assert.match(help.stdout, new RegExp(`\\n  ${command} `));
  });
});

function podOf(
  name: string,
  id: string,
  hash: string,
  phase: Pod["status"]["phase"],
  extra: { node?: string; ip?: string; restarts?: number; message?: string } = {},
): Pod {
  const now = new Date().toISOString();
  const pod: Pod = {
    id,
    name,
    deployment: "web",
    hash,
    template: { image: "nginx:alpine" },
    status: { phase, restarts: extra.restarts ?? 0 },
    createdAt: now,
    updatedAt: now,
  };
  if (extra.node !== undefined) pod.node = extra.node;
  if (extra.ip !== undefined) pod.status.ip = extra.ip;
  if (extra.message !== undefined) pod.status.message = extra.message;
  return pod;
}
