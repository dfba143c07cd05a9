import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fetch } from "undici";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { FakeRuntime } from "../runtime/testing/fake/fake-runtime.js";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import type { Store } from "../store/store.js";
import { issueSelfSignedCertificate } from "../tls/certificate-issuer.js";
import { ensureEndpointCertificate } from "./endpoint-certificate.js";
import { EndpointAuthenticator, EndpointClientCredential } from "./endpoint-credentials.js";
import { type ClientIdentity, PinnedAgents, pinnedTlsOptions } from "./endpoint-pinning.js";
import { type RunningNodeEndpoint, startNodeEndpoint } from "./node-endpoint.js";
import { execOver } from "./testing/exec-client.js";

const NODE = "n1";
const IMAGE = "orchestra/hello:latest";

describe("node endpoint", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let runtime: FakeRuntime;
  let authenticator: EndpointAuthenticator;
  let credential: EndpointClientCredential;
  let endpoint: RunningNodeEndpoint;
  let certificate: string;
  /** Connections that present the API server's client certificate, another one, or none. */
  let client: ClientIdentity;
  let stranger: ClientIdentity;
  const agents: Record<"api" | "stranger" | "none", PinnedAgents> = {} as never;
  const here = new Set<string>();
  let started = 0;

  const startPod = async (podId: string): Promise<ContainerInfo> => {
    here.add(podId);
    return runtime.start({
      name: `${podId}-${++started}`,
      image: IMAGE,
      labels: { [LABEL_MANAGED]: "true", [LABEL_NODE]: NODE, [LABEL_POD]: podId },
      network: "orchestra-test",
    });
  };
  const get = (path: string, authorization?: string, as: keyof typeof agents = "api") =>
    fetch(`${endpoint.url}${path}`, {
      headers: authorization ? { authorization } : {},
      dispatcher: agents[as].for({ node: NODE, url: endpoint.url, certificate }),
    });
  const execOn = (path: string, authorization: string, argv: string[], stdin?: string, as = client) =>
    execOver(`${endpoint.url}${path}`, authorization, argv, {
      stdin,
      tls: pinnedTlsOptions(certificate, as),
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-endpoint-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    runtime = new FakeRuntime({ images: [IMAGE] });
    await runtime.ensureNetwork({ name: "orchestra-test", subnet: "10.98.0.0/24" });
    authenticator = new EndpointAuthenticator(store);
    await authenticator.start();
    credential = new EndpointClientCredential(store, "api test");
    await credential.register();
    client = await credential.clientCertificate();
    stranger = await issueSelfSignedCertificate("stranger", { dns: [], ip: [] }, Date.now(), "client");
    agents.api = new PinnedAgents(5000, client);
    agents.stranger = new PinnedAgents(5000, stranger);
    agents.none = new PinnedAgents(5000);
    const tls = await ensureEndpointCertificate({ node: NODE, address: "127.0.0.1", nowMs: Date.now() });
    certificate = tls.cert;
    endpoint = await startNodeEndpoint({
      tls,
      host: "127.0.0.1",
      port: 0,
      authenticate: (authorization, clientCert) => authenticator.check(authorization, clientCert),
      pods: { node: NODE, runtime, hasPod: (id) => here.has(id), previous: () => undefined },
    });
  });

  after(async () => {
    await endpoint?.close();
    for (const pool of Object.values(agents)) await pool.close();
    authenticator?.stop();
    await credential?.unregister();
    await store?.close();
    backend?.close();
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("without a registered API server's token: 401, and nothing runs", async () => {
    let ran = 0;
    runtime.script(
      { image: IMAGE },
      {
        exec: () => {
          ran += 1;
          return { exitCode: 0, output: "" };
        },
      },
    );
    const container = await startPod("p-auth");
    for (const authorization of [undefined, "Bearer not-a-token", "Basic x"]) {
      const logs = await get("/pods/p-auth/log", authorization);
      assert.equal(logs.status, 401);
      assert.match(((await logs.json()) as { message: string }).message, /^authorization: /);
      assert.equal((await get("/usage", authorization)).status, 401);
      const exec = execOn("/pods/p-auth/exec", authorization ?? "", ["true"]);
      await assert.rejects(exec, /HTTP 401/);
    }
    // The right token without the API server's client certificate, or with another one: refused too.
    const noCert = await get("/pods/p-auth/log", credential.authorization, "none");
    assert.equal(noCert.status, 401);
    assert.match(((await noCert.json()) as { message: string }).message, /client certificate is required/);
    const otherCert = await get("/usage", credential.authorization, "stranger");
    assert.equal(otherCert.status, 401);
    assert.match(((await otherCert.json()) as { message: string }).message, /not the one registered/);
    const url = "/pods/p-auth/exec";
    await assert.rejects(execOn(url, credential.authorization, ["true"], undefined, stranger), /HTTP 401/);
    assert.equal(ran, 0);
    assert.equal((await get("/healthz")).status, 200, "healthz is public");
    await runtime.remove(container.id);
  });

  test("a pod's logs: stdout and stderr, tail, timestamps; 404 for a pod not on this node", async () => {
    const container = await startPod("p-logs");
    runtime.write(container.id, "one\ntwo\n");
    runtime.write(container.id, "oops\n", "stderr");
    runtime.write(container.id, "three\n");
    const all = await get("/pods/p-logs/log", credential.authorization);
    assert.equal(all.status, 200);
    assert.equal(await all.text(), "one\ntwo\noops\nthree\n");
    const tail = await get("/pods/p-logs/log?tail=2&timestamps=true", credential.authorization);
    const lines = (await tail.text()).trimEnd().split("\n");
    assert.deepEqual(
      lines.map((line) => line.replace(/^\S+ /, "")),
      ["oops", "three"],
    );
    assert.ok(lines.every((line) => !Number.isNaN(Date.parse(line.split(" ")[0] ?? ""))));
    assert.equal((await get("/pods/elsewhere/log", credential.authorization)).status, 404);
    const bad = await get("/pods/p-logs/log?since=yesterday", credential.authorization);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /since/);
    await runtime.remove(container.id);
  });

  test("following carries on into the pod's next container after a marked gap", async () => {
    const first = await startPod("p-follow");
    runtime.write(first.id, "before\n");
    const response = await get("/pods/p-follow/log?follow=true", credential.authorization);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += Buffer.from(value).toString();
      }
    };
    await readUntil(/before\n/);
    runtime.crash(first.id, { exitCode: 3 });
    const second = await startPod("p-follow");
    runtime.write(second.id, "after\n");
    await readUntil(/after\n/);
    assert.match(
      text,
      /^before\n--- orchestra: container \S+ ended \(exit code 3\); following its replacement \S+ ---\nafter\n$/,
    );
    await reader.cancel();
    await runtime.remove(first.id);
    await runtime.remove(second.id);
  });

  test("exec: output, exit code, piped stdin; 409 for a pod without a running container", async () => {
    const container = await startPod("p-exec");
    runtime.script(
      { image: IMAGE },
      {
        session: (argv) =>
          argv[0] === "cat"
            ? {
                onInput: (text, context) => context.out(text),
                onEndOfInput: (context) => context.exit(0),
              }
            : undefined,
        exec: (argv) => ({ exitCode: Number(argv[1] ?? 0), output: `exiting ${argv[1]}\n` }),
      },
    );
    const restarted = await startPod("p-exec");
    await runtime.remove(container.id);
    const url = "/pods/p-exec/exec";
    const exit7 = await execOn(url, credential.authorization, ["exit", "7"]);
    assert.deepEqual(exit7, { stdout: "exiting 7\n", stderr: "", exitCode: 7 });
    const cat = await execOn(url, credential.authorization, ["cat"], "hi\n");
    assert.deepEqual(cat, { stdout: "hi\n", stderr: "", exitCode: 0 });
    await runtime.stop(restarted.id);
    await assert.rejects(execOn(url, credential.authorization, ["true"]), /HTTP 409/);
    await runtime.remove(restarted.id);
  });
});
