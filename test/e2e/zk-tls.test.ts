// Orchestra on a real ZooKeeper that serves TLS only (a `secureClientPort` and no plain port), with a real
// Docker engine: `run api`, `run controller` and `run scheduler` with --zk-tls-ca/--zk-tls-cert/--zk-tls-key,
// and a worker that joins over HTTPS (--server-ca) and gets the store's CA and a client certificate from the
// join; `snapshot save` takes the same flags. A process without the TLS flags, a worker with the wrong CA, and
// bad flags each stop with one line; zkCli.sh, which speaks plain TCP, gets nothing from the secure port.
// Traffic goes to 127.0.0.1 only.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { ClusterEvent, Pod } from "../../src/core/types.js";
import { eventually, OrchestraProcess, runCli } from "../support/cluster.js";
import { DEMO_IMAGE, ensureTestImages } from "../support/images.js";
import { DistributedRun } from "../support/processes.js";
import { makeTestCertificates, type TestCertificates } from "../support/test-certificates.js";

const BOOTSTRAP = "zk-tls-test-bootstrap-admin-token";
const SESSION_TIMEOUT_MS = 2000;
const ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh";

let certs: TestCertificates;
let run: DistributedRun;
let dir: string;
/** The API server's https URL, and the cluster CA it made (its <data dir>/tls/ca.pem). */
let server: string;
let apiCa: string;
let node: string;

/** `orchestra --server <api> --token <bootstrap> ...args`, trusting the API's CA. */
function admin(args: string[]) {
  return runCli(["--token", BOOTSTRAP, ...args], { server, env: { NODE_EXTRA_CA_CERTS: apiCa } });
}

async function adminOk(args: string[]): Promise<string> {
  const result = await admin(args);
  assert.equal(result.code, 0, `orchestra ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The lines a failed command printed that start with `error:`. */
const errorLines = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("error:"));

function workerArgs(): string[] {
  return [
    "run",
    "worker",
    "--name",
    node,
    "--address",
    "127.0.0.1",
    "--network",
    run.networkOf(node),
    "--pod-cidr",
    run.podCidr,
    "--endpoint-port",
    "0",
    "--session-timeout",
    String(SESSION_TIMEOUT_MS),
  ];
}

describe("a ZooKeeper that serves TLS only", { timeout: 240_000 }, () => {
  before(async () => {
    certs = await makeTestCertificates();
    run = new DistributedRun({ nodes: ["a"], sessionTimeoutMs: SESSION_TIMEOUT_MS });
    node = run.nodeNames[0] as string;
    dir = mkdtempSync(join(tmpdir(), "orchestra-zk-tls-test-"));
    writeFileSync(join(dir, "token"), `${BOOTSTRAP}\n`, { mode: 0o600 });
    await run.startZooKeeper({
      tls: { keyStoreFile: certs.serverKeyStoreFile, trustStoreFile: certs.caFile, only: true },
    });
    run.storeArgs = [
      "--zk-tls-ca",
      certs.caFile,
      "--zk-tls-cert",
      certs.clientCertFile,
      "--zk-tls-key",
      certs.clientKeyFile,
    ];
    const api = await run.start(
      [
        "api",
        ...["--host", "127.0.0.1", "--port", "0", "--tls", "--data-dir", dir],
        ...["--token-file", join(dir, "token")],
        ...["--join-zk-tls-cert", certs.clientCertFile, "--join-zk-tls-key", certs.clientKeyFile],
      ],
      { readyText: "API server listening at" },
    );
    server = /API server listening at (https:\/\/\S+)/.exec(api.stdout)?.[1] ?? "";
    assert.match(server, /^https:\/\/127\.0\.0\.1:\d+$/, api.stdout);
    apiCa = join(dir, "tls", "ca.pem");
    await Promise.all([run.startController(), run.startScheduler(), ensureTestImages()]);
  });

  after(async () => {
    try {
      await run?.cleanup();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      certs?.remove();
    }
  });

  test("a worker joins over HTTPS with the store's CA and a client certificate; a deployment runs", async () => {
    const token = (await adminOk(["token", "create", "--role", "node"])).trim();
    const worker = await OrchestraProcess.start(
      ["--server", server, ...workerArgs(), "--join-token", token, "--server-ca", apiCa],
      { waitForApi: false, readyText: "worker running on" },
    );
    run.processes.push(worker);
    assert.match(
      worker.stderr,
      new RegExp(`worker running on the ZooKeeper \\(TLS\\) ${run.zookeeper.address}/orchestra`),
    );
    const events = JSON.parse(await adminOk(["events", `node/${node}`, "-o", "json"])) as ClusterEvent[];
    assert.ok(
      events.some(
        (event) =>
          event.reason === "Joined" &&
          event.message.startsWith("store address, CA and client certificate handed out to token"),
      ),
      JSON.stringify(events),
    );

    assert.equal(
      await adminOk(["deploy", "web", "--image", DEMO_IMAGE, "--replicas", "1"]),
      "deployment/web created\n",
    );
    await eventually(
      async () => {
        const pods = JSON.parse(await adminOk(["get", "pods", "--deployment", "web", "-o", "json"])) as Pod[];
        assert.equal(pods.length, 1, JSON.stringify(pods));
        assert.equal(pods[0]?.node, node);
        assert.equal(pods[0]?.status.phase, "Running", JSON.stringify(pods[0]?.status));
      },
      { timeoutMs: 90_000 },
    );
  });

  test("a worker that does not trust the API server's certificate stops at the join with one line", async () => {
    const token = (await adminOk(["token", "create", "--role", "node"])).trim();
    // The ZooKeeper CA, not the API's: a plausible mix-up.
    const result = await runCli([...workerArgs(), "--join-token", token, "--server-ca", certs.caFile], {
      server,
    });
    assert.notEqual(result.code, 0);
    assert.deepEqual(errorLines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /^error: join: .*its certificate is not signed by --server-ca/m);
  });

  test("a process without the TLS flags fails with one line naming the store, within its timeout", async () => {
    const started = Date.now();
    const result = await runCli(
      ["run", "scheduler", "--store", run.storeUrl, "--session-timeout", String(SESSION_TIMEOUT_MS)],
      { timeoutMs: 30_000 },
    );
    assert.notEqual(result.code, null, "still running after 30 s");
    assert.notEqual(result.code, 0);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    // The session's first connection fails, or the open's call runs out of time, whichever comes first.
    assert.match(
      lines[0] ?? "",
      new RegExp(
        `^error: cannot open the ZooKeeper ${run.zookeeper.address}/orchestra: (ZooKeeper did not answer within ${SESSION_TIMEOUT_MS} ms|not connected to ZooKeeper at ${run.zookeeper.address} \\(session disconnected\\)); if it serves TLS only \\(secureClientPort\\), give --zk-tls-ca \\(and --zk-tls-cert, --zk-tls-key\\)$`,
      ),
    );
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  test("bad TLS flags are refused with one line before any connection", async () => {
    const url = run.storeUrl;
    const cases: [string[], string][] = [
      [
        ["--store", url, "--zk-tls-ca", join(dir, "missing.pem")],
        `error: zk-tls-ca: cannot read ${join(dir, "missing.pem")}: ENOENT`,
      ],
      [
        ["--store", url, "--zk-tls-ca", certs.caFile, "--zk-tls-cert", certs.clientCertFile],
        "error: zk-tls-key: required with --zk-tls-cert: a client certificate and its key go together",
      ],
      [
        ["--store", `embedded:${join(dir, "embedded")}`, "--zk-tls-ca", certs.caFile],
        "error: zk-tls-ca: applies only to a zk:// store",
      ],
    ];
    for (const [args, line] of cases) {
      const result = await runCli(["run", "controller", ...args]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `${line}\n`);
    }
  });

  test("snapshot save takes the same flags", async () => {
    const file = join(dir, "cluster.snap");
    const saved = await runCli(["snapshot", "save", file, "--store", run.storeUrl, ...run.storeArgs], {
      timeoutMs: 60_000,
    });
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(
      saved.stdout,
      new RegExp(
        `^saved \\d+ keys of the ZooKeeper \\(TLS\\) ${run.zookeeper.address}/orchestra to ${file}\n$`,
      ),
    );
  });

  test("zkCli.sh, which speaks plain TCP, reads nothing from the secure port", async () => {
    const output = await promisify(execFile)(
      ZKCLI,
      ["-server", run.zookeeper.address, "-timeout", "2000", "ls", "/orchestra"],
      { timeout: 60_000 },
    ).then(
      ({ stdout, stderr }) => stdout + stderr,
      (error: { stdout?: string; stderr?: string }) => (error.stdout ?? "") + (error.stderr ?? ""),
    );
    assert.match(output, /ConnectionLoss/);
    assert.doesNotMatch(output, /\[(assignments|deployments|nodes)/);
  });
});
