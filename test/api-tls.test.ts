// TLS on the API and the client config file, against a real API server bound to 0.0.0.0 (traffic only to
// 127.0.0.1): HTTPS only, verified by curl and by the built CLI with the CA of its config's context; plain
// HTTP and a wrong CA fail; contexts switch; flags and the environment override the file.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { adminConfigText } from "../src/cli/client-config-file.js";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import { type ApiTls, resolveApiTls } from "../src/cmd/api-tls.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import type { Store } from "../src/store/store.js";
import { issueClusterCa } from "../src/tls/certificate-issuer.js";
import { type CliResult, runCli } from "./support/cluster.js";

const TOKEN = "tls-test-token";

type Run = CliResult;

let dir: string;
let backend: EmbeddedBackend;
let store: Store;
let server: RunningApiServer;
let tls: ApiTls;
/** The server as a client reaches it: loopback, on the port it bound on 0.0.0.0. */
let url: string;
let strangerCa: string;

// A clean environment (the support's): HOME is this test's folder, so ~/.orchestra is this test's own.
const orchestra = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { HOME: dir, ...env } });
const curl = (args: string[]): Promise<Run> =>
  promisify(execFile)("curl", ["-sS", "--max-time", "10", ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number | string; stdout?: string; stderr?: string }) => {
      if (typeof error.code === "string") throw new Error(`cannot run curl: ${error.code}`);
      return { code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" };
    },
  );

function assertError(run: Run, line: string | RegExp): void {
  assert.equal(run.code, 1, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
  if (typeof line === "string") assert.equal(run.stderr, `error: ${line}\n`);
  else assert.match(run.stderr, line);
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** Two contexts: `good` (this server, its CA, the token) and `stranger` (this server, another CA). */
function twoContexts(current: string): string {
  const data = (pem: string) => Buffer.from(pem).toString("base64");
  return [
    `current-context: ${current}`,
    "clusters:",
    `  - {name: good, cluster: {server: "${url}", certificate-authority-data: ${data(tls.ca as string)}}}`,
    `  - {name: stranger, cluster: {server: "${url}", certificate-authority-data: ${data(strangerCa)}}}`,
    "users:",
    `  - {name: admin, user: {token: ${TOKEN}}}`,
    "contexts:",
    "  - {name: good, context: {cluster: good, user: admin}}",
    "  - {name: stranger, context: {cluster: stranger, user: admin}}",
    "",
  ].join("\n");
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "orchestra-api-tls-"));
  backend = EmbeddedBackend.open(join(dir, "store"));
  store = backend.connect();
  tls = (await resolveApiTls("0.0.0.0", dir, {})) as ApiTls;
  server = await startApiServer({ store, host: "0.0.0.0", port: 0, token: TOKEN, tls });
  url = `https://127.0.0.1:${new URL(server.url).port}`;
  strangerCa = (await issueClusterCa(Date.now())).cert;
});

after(async () => {
  await server?.close();
  await store?.close();
  backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the API off loopback", () => {
  test("serves HTTPS, which curl verifies with the cluster CA", async () => {
    assert.match(server.url, /^https:\/\/0\.0\.0\.0:\d+$/);
    const answer = await curl([
      "--cacert",
      tls.caFile as string,
      "-H",
      `authorization: Bearer ${TOKEN}`,
      `${url}/deployments`,
    ]);
    assert.equal(answer.stderr, "");
    assert.equal(answer.stdout, "[]");
    // The certificate names localhost too.
    const byName = await curl([
      "--cacert",
      tls.caFile as string,
      `https://localhost:${new URL(url).port}/healthz`,
    ]);
    assert.equal(byName.stdout, '{"status":"ok"}');
  });

  test("plain HTTP gets no answer", async () => {
    const plain = await curl([`http://127.0.0.1:${new URL(url).port}/healthz`]);
    assert.notEqual(plain.code, 0);
    assert.equal(plain.stdout, "");
    assertError(
      await orchestra([
        "--server",
        `http://127.0.0.1:${new URL(url).port}`,
        "--token",
        TOKEN,
        "get",
        "deployments",
      ]),
      /^error: (cannot reach|lost the connection to) the API server at http:\/\/127\.0\.0\.1:\d+ \(connection (reset|closed)\)\n$/,
    );
  });

  test("a client without the CA, or with another one, refuses the server", async () => {
    const unknown = await curl([`${url}/healthz`]);
    assert.equal(unknown.code, 60, "curl: certificate problem");
    const wrong = join(dir, "stranger.pem");
    writeFileSync(wrong, strangerCa);
    assert.equal((await curl(["--cacert", wrong, `${url}/healthz`])).code, 60);
    // Without a config, the CLI trusts only the system's CAs.
    assertError(
      await orchestra(["--server", url, "--token", TOKEN, "get", "deployments"]),
      new RegExp(
        `^error: cannot reach the API server at ${url} \\(its certificate is not signed by the system's CAs: [A-Z_]+\\)\\n$`,
      ),
    );
  });
});

describe("the client config file", () => {
  test("what up writes (server, CA, token; mode 0600) works from --config and ORCHESTRA_CONFIG", async () => {
    const path = writeConfig(
      "written.yaml",
      adminConfigText({ name: "orchestra", server: url, ca: tls.ca, token: TOKEN }),
    );
    const viaFlag = await orchestra(["--client-config", path, "get", "deployments", "-o", "json"]);
    assert.equal(viaFlag.stderr, "");
    assert.deepEqual(JSON.parse(viaFlag.stdout), []);
    assert.equal(viaFlag.code, 0);
    const viaEnv = await orchestra(["get", "deployments"], { ORCHESTRA_CONFIG: path });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test("~/.orchestra/config is read when nothing else names a file", async () => {
    const home = join(dir, ".orchestra");
    rmSync(home, { recursive: true, force: true });
    const missing = await orchestra(["get", "deployments"]);
    // No file: the default server, plain HTTP on 127.0.0.1:8080, as before config files existed.
    assert.match(missing.stderr, /^error: cannot reach the API server at http:\/\/127\.0\.0\.1:8080 /);
    mkdirSync(home);
    writeFileSync(join(home, "config"), twoContexts("good"), { mode: 0o600 });
    const found = await orchestra(["get", "deployments"]);
    assert.equal(found.code, 0, found.stderr);
    rmSync(home, { recursive: true, force: true });
  });

  test("contexts: listed, shown, switched; a wrong CA fails naming the context", async () => {
    const path = writeConfig("two.yaml", twoContexts("stranger"));
    assertError(
      await orchestra(["--client-config", path, "get", "deployments"]),
      new RegExp(
        `^error: cannot reach the API server at ${url} \\(its certificate is not signed by the CA of context "stranger": [A-Z_]+\\)\\n$`,
      ),
    );
    const listed = await orchestra(["--client-config", path, "config", "get-contexts"]);
    assert.equal(
      listed.stdout,
      [
        `CURRENT   NAME       SERVER${" ".repeat(url.length - 6)}   USER`,
        `          good       ${url}   admin`,
        `*         stranger   ${url}   admin`,
        "",
      ].join("\n"),
    );
    assert.deepEqual(await orchestra(["--client-config", path, "config", "current-context"]), {
      code: 0,
      stdout: "stranger\n",
      stderr: "",
    });
    const used = await orchestra(["--client-config", path, "config", "use-context", "good"]);
    assert.equal(used.stdout, `current context is now "good" (${path})\n`);
    assert.match(readFileSync(path, "utf8"), /^current-context: good$/m);
    assert.equal((await orchestra(["--client-config", path, "config", "current-context"])).stdout, "good\n");
    assert.equal((await orchestra(["--client-config", path, "get", "deployments"])).code, 0);
    // --context picks one for a single command, without changing the file.
    assertError(
      await orchestra(["--client-config", path, "--context", "stranger", "get", "deployments"]),
      /not signed by the CA of context "stranger"/,
    );
    assertError(
      await orchestra(["--client-config", path, "config", "use-context", "nope"]),
      `config file ${path}: no context named "nope" (it has: good, stranger)`,
    );
    assert.match(readFileSync(path, "utf8"), /^current-context: good$/m);
  });

  test("config create|update still make configs for pods beside the context commands", async () => {
    const path = writeConfig("admin.yaml", twoContexts("good"));
    const created = await orchestra([
      "--client-config",
      path,
      "config",
      "create",
      "app",
      "--from-literal",
      "mode=tls",
    ]);
    assert.equal(created.stderr, "");
    assert.equal(created.stdout, "config/app created (version 1, 1 key, 3 bytes)\n");
  });

  test("flags and the environment override the file", async () => {
    const path = writeConfig("override.yaml", twoContexts("good"));
    assertError(
      await orchestra(["--client-config", path, "--token", "wrong-token", "get", "deployments"]),
      "unauthorized: the API server rejected the token (authorization: the bearer token is not valid)",
    );
    assertError(
      await orchestra(["--client-config", path, "get", "deployments"], { ORCHESTRA_TOKEN: "wrong-token" }),
      "unauthorized: the API server rejected the token (authorization: the bearer token is not valid)",
    );
    // Another name for the same server: the context's CA still verifies it.
    const other = `https://localhost:${new URL(url).port}`;
    const byFlag = await orchestra(["--client-config", path, "--server", other, "get", "deployments"]);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    const byEnv = await orchestra(["--client-config", path, "get", "deployments"], {
      ORCHESTRA_SERVER: "http://127.0.0.1:9",
    });
    assert.match(byEnv.stderr, /^error: cannot reach the API server at http:\/\/127\.0\.0\.1:9 /);
  });

  test("an error in the file is one line naming the file and the field", async () => {
    const path = writeConfig(
      "broken.yaml",
      twoContexts("good").replace("context: {cluster: stranger, user: admin}", "context: {user: admin}"),
    );
    assertError(
      await orchestra(["--client-config", path, "get", "deployments"]),
      `config file ${path}: contexts[1].context.cluster: is missing`,
    );
    const absent = join(dir, "absent.yaml");
    assertError(
      await orchestra(["get", "deployments"], { ORCHESTRA_CONFIG: absent }),
      `config file ${absent}: cannot read it (ENOENT)`,
    );
  });
});

describe("orchestra run api", () => {
  test("plain HTTP asked for off loopback is refused in one line", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    const refused = await orchestra([
      "run",
      "api",
      "--store",
      `embedded:${join(dir, "refused")}`,
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--token-file",
      tokenFile,
      "--no-tls",
    ]);
    assertError(
      refused,
      "no-tls: plain HTTP is refused on 0.0.0.0, which is not a loopback address; drop --no-tls or bind 127.0.0.1",
    );
  });
});
