// `orchestra up --api-host 0.0.0.0` on the real Docker engine: HTTPS only, with a cluster CA and a server
// certificate made in the data folder on first start and reused on the next; the client config it writes
// (server, CA, admin token; mode 0600) drives the CLI. Traffic goes to 127.0.0.1 only.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import type { NodeInfo } from "../../src/core/types.js";
import { ClusterRun, type OrchestraProcess, runCli } from "../support/cluster.js";

const curl = (args: string[]) =>
  promisify(execFile)("curl", ["-sS", "--max-time", "10", ...args]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "" }),
  );

let run: ClusterRun;
let dataDir: string;

async function upOnAllAddresses(): Promise<{ process: OrchestraProcess; port: string }> {
  const args = ["up", "--data-dir", dataDir, "--api-host", "0.0.0.0", "--api-port", "0", "--no-dns"];
  args.push("--name", run.nodeName, "--network", run.network, "--pod-cidr", run.podCidr, "--stop-grace", "1");
  const process = await run.startProcess(args, {
    waitForApi: false,
    readyText: "Orchestra is up",
    timeoutMs: 60_000,
  });
  const printed = /API at (https:\/\/0\.0\.0\.0:(\d+))/.exec(process.stdout);
  assert.ok(printed, `up printed no https URL on 0.0.0.0: ${process.stdout}`);
  return { process, port: printed[2] as string };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("orchestra up off loopback", { timeout: 240_000 }, () => {
  before(() => {
    run = new ClusterRun("up-tls");
    dataDir = join(run.dataDir, "store");
  });

  after(async () => {
    await run?.cleanup();
  });

  test("serves HTTPS only, and the config it writes drives the CLI", async () => {
    const { process, port } = await upOnAllAddresses();
    const configFile = join(dataDir, "config.yaml");
    const caFile = join(dataDir, "tls", "ca.pem");
    assert.match(process.stdout, new RegExp(`made a new cluster CA in ${caFile}`));
    assert.match(process.stdout, /made a new server certificate\n/);
    assert.match(process.stdout, new RegExp(`Client config: +${configFile} `));
    for (const secret of ["config.yaml", "admin-token", "tls/ca.key", "tls/server.key"]) {
      assert.equal(mode(join(dataDir, secret)), 0o600, secret);
    }
    const config = parseYaml(readFileSync(configFile, "utf8"));
    assert.equal(config.clusters[0].cluster.server, `https://127.0.0.1:${port}`);
    assert.equal(
      Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString(),
      readFileSync(caFile, "utf8"),
    );
    assert.equal(config.users[0].user.token, readFileSync(join(dataDir, "admin-token"), "utf8").trim());

    const nodes = await runCli(["--client-config", configFile, "get", "nodes", "-o", "json"]);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.deepEqual(
      (JSON.parse(nodes.stdout) as NodeInfo[]).map((node) => node.name),
      [run.nodeName],
    );

    const verified = await curl(["--cacert", caFile, `https://127.0.0.1:${port}/healthz`]);
    assert.deepEqual(verified, { code: 0, stdout: '{"status":"ok"}' });
    const unauthenticated = await curl([
      "--cacert",
      caFile,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `https://127.0.0.1:${port}/nodes`,
    ]);
    assert.equal(unauthenticated.stdout, "401");
    const plain = await curl([`http://127.0.0.1:${port}/healthz`]);
    assert.notEqual(plain.code, 0, "plain HTTP must get no answer");
    assert.equal(
      (await curl([`https://127.0.0.1:${port}/healthz`])).code,
      60,
      "without the CA: not verified",
    );
    await process.terminate();
  });

  test("a later start reuses the CA, the certificate and the token", async () => {
    const before = ["tls/ca.pem", "tls/server.pem", "admin-token"].map((file) =>
      readFileSync(join(dataDir, file), "utf8"),
    );
    const { process, port } = await upOnAllAddresses();
    assert.doesNotMatch(process.stdout, /made a new/);
    const after = ["tls/ca.pem", "tls/server.pem", "admin-token"].map((file) =>
      readFileSync(join(dataDir, file), "utf8"),
    );
    assert.deepEqual(after, before);
    const nodes = await runCli(["--client-config", join(dataDir, "config.yaml"), "get", "nodes"]);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, new RegExp(run.nodeName));
    assert.match(
      readFileSync(join(dataDir, "config.yaml"), "utf8"),
      new RegExp(`server: https://127.0.0.1:${port}`),
    );

    // A worker cannot join `up`: its embedded store lives inside it. It is told why and what to do instead.
    const token = await runCli([
      "--client-config",
      join(dataDir, "config.yaml"),
      "token",
      "create",
      "--role",
      "node",
    ]);
    assert.equal(token.code, 0, token.stderr);
    const joined = await runCli(
      ["run", "worker", "--join-token", token.stdout.trim(), "--server-ca", join(dataDir, "tls", "ca.pem")],
      { server: `https://127.0.0.1:${port}` },
    );
    assert.notEqual(joined.code, 0);
    assert.equal(
      joined.stderr,
      'error: join: this API server hands out no store address: it runs on an embedded store, which lives inside `orchestra up` on this one machine, so workers on other machines cannot reach it; to add machines, move the cluster onto ZooKeeper (docs/OPERATIONS.md, "Moving from orchestra up to ZooKeeper") and join workers through `orchestra run api --store zk://...`\n',
    );
    await process.terminate();
  });
});
