// Logs, exec and usage through the API server, proxied to the node endpoints of two workers on this machine
// (each on its own loopback port, found through the store as a worker on another machine would be), on the
// fake runtime. test/e2e/operate.test.ts runs the same on real Docker through the CLI.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Agent, fetch as pinnedFetch } from "undici";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import { startWorkerEndpoint } from "../src/cmd/worker-endpoint.js";
import type { Deployment, NodeInfo, Pod } from "../src/core/types.js";
import { noEvents } from "../src/events/event-recorder.js";
import { ensureEndpointCertificate } from "../src/node-endpoint/endpoint-certificate.js";
import { pinnedTlsOptions } from "../src/node-endpoint/endpoint-pinning.js";
import { execOver, upgradeRefusal } from "../src/node-endpoint/testing/exec-client.js";
import { LABEL_POD } from "../src/runtime/labels.js";
import { FakeRuntime } from "../src/runtime/testing/fake/fake-runtime.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import { podCreateOps } from "../src/store/pod-ops.js";
import type { Store } from "../src/store/store.js";
import { eventually } from "../src/store/testing/contract-support.js";
import { Worker } from "../src/worker/worker.js";

const IMAGE = "orchestra/hello:latest";
const TOKEN = "pod-io-test-token";

function pod(id: string, node: string): Pod {
  const now = new Date().toISOString();
  return {
    id,
    name: `web-${id}`,
    deployment: "web",
    hash: "abc",
    template: { image: IMAGE },
    node,
    status: { phase: "Pending", restarts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

describe("logs, exec and usage through the API server, two workers", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  const engine = new FakeRuntime({ images: [IMAGE], cpus: 2, memoryBytes: 2 ** 30 });
  const workers: { stop(): Promise<void>; endpointUrl: string; certificate: string }[] = [];
  let api: RunningApiServer;
  const auth = { authorization: `Bearer ${TOKEN}` };
  /** Every command the pods' containers ran. */
  const ran: string[] = [];

  const containerOf = async (podId: string) => {
    const [found] = (await engine.list({ labels: { [LABEL_POD]: podId } })).filter((c) => c.running);
    assert.ok(found, `pod ${podId} runs`);
    return found;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-pod-io-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    engine.script(
      { image: IMAGE },
      {
        exec: (argv) => {
          ran.push(argv.join(" "));
          return { exitCode: Number(argv[1] ?? 0), output: `ran ${argv.join(" ")}\n` };
        },
        usage: { cpu: 250, memory: 5_000_000 },
      },
    );
    for (const [i, name] of ["n1", "n2"].entries()) {
      // What startWorker does, without the host's pod network: the endpoint first, its URL in the registration.
      let worker: Worker | undefined;
      const runtime = engine.shared();
      const endpoint = await startWorkerEndpoint({
        store,
        runtime,
        node: name,
        address: "127.0.0.1",
        options: { port: 0 },
        worker: () => worker,
      });
      worker = new Worker({
        store,
        runtime,
        name,
        address: "127.0.0.1",
        endpoint: endpoint.url,
        endpointCertificate: endpoint.certificate,
        network: { name: `orchestra-test-${name}`, subnet: `10.97.${i}.0/24` },
        stopGraceSeconds: 0,
        events: noEvents,
      });
      const running = worker;
      await running.start();
      workers.push({
        endpointUrl: endpoint.url,
        certificate: endpoint.certificate,
        async stop() {
          await running.stop();
          await endpoint.close();
        },
      });
    }
    api = await startApiServer({ store, host: "127.0.0.1", port: 0, token: TOKEN });
    const now = new Date().toISOString();
    const deployment: Deployment = {
      spec: { name: "web", replicas: 2, template: { image: IMAGE } },
      generation: 1,
      createdAt: now,
      updatedAt: now,
    } as unknown as Deployment;
    await store.create(keys.deployment("web"), deployment);
    await store.transaction(podCreateOps(pod("p1", "n1")));
    await store.transaction(podCreateOps(pod("p2", "n2")));
    await eventually(async () => {
      for (const id of ["p1", "p2"])
        assert.equal((await store.get<Pod>(keys.pod(id)))?.value.status.phase, "Running");
    });
  });

  after(async () => {
    await api?.close();
    for (const worker of workers) await worker.stop();
    await store?.close();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("each node registers its endpoint and certificate; it refuses the API user's token and plain HTTP, and the API refuses none", async () => {
    const nodes = (await store.list<NodeInfo>(keys.nodes)).map((entry) => entry.value);
    assert.deepEqual(
      nodes.map((node) => [node.endpoint, node.endpointCertificate]),
      workers.map((worker) => [worker.endpointUrl, worker.certificate]),
    );
    const [first] = workers as [(typeof workers)[0]];
    assert.match(first.endpointUrl, /^https:\/\//);
    // Trusting the node's certificate as an API server does: the TLS is fine, the user's token is not.
    const dispatcher = new Agent({ connect: pinnedTlsOptions(first.certificate) });
    const direct = await pinnedFetch(`${first.endpointUrl}/pods/p1/log`, { headers: auth, dispatcher });
    assert.equal(direct.status, 401, "the node endpoint takes only API servers' credentials");
    await dispatcher.close();
    await assert.rejects(
      fetch(`${first.endpointUrl.replace(/^https:/, "http:")}/pods/p1/log`, { headers: auth }),
    );
    assert.equal((await fetch(`${api.url}/pods/web-p1/log`)).status, 401);
    await assert.rejects(execOver(`${api.url}/pods/web-p1/exec`, "", ["true"]), /HTTP 401/);
  });

  test("a pod's logs by name, from either node; a deployment's merged with [pod] prefixes", async () => {
    engine.write((await containerOf("p1")).id, "hello from one\n");
    engine.write((await containerOf("p2")).id, "hello from two\n", "stderr");
    const one = await fetch(`${api.url}/pods/web-p1/log`, { headers: auth });
    assert.equal(one.status, 200);
    assert.equal(await one.text(), "hello from one\n");
    const two = await fetch(`${api.url}/pods/p2/log?tail=1`, { headers: auth });
    assert.equal(await two.text(), "hello from two\n");
    const merged = await fetch(`${api.url}/deployments/web/log`, { headers: auth });
    assert.deepEqual((await merged.text()).split("\n").sort(), [
      "",
      "[web-p1] hello from one",
      "[web-p2] hello from two",
    ]);
    const missing = await fetch(`${api.url}/pods/nope/log`, { headers: auth });
    assert.equal(missing.status, 404);
    const bad = await fetch(`${api.url}/pods/web-p1/log?tail=-1`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /tail/);
  });

  test("follow streams new lines as they are written", async () => {
    const response = await fetch(`${api.url}/pods/web-p2/log?follow=true&tail=0`, { headers: auth });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const id = (await containerOf("p2")).id;
    setTimeout(() => engine.write(id, "later\n"), 100);
    const { value } = await reader.read();
    assert.equal(Buffer.from(value ?? []).toString(), "later\n");
    await reader.cancel();
  });

  test("exec through the API: output and exit code from a pod on either node", async () => {
    for (const name of ["web-p1", "web-p2"]) {
      const result = await execOver(`${api.url}/pods/${name}/exec`, auth.authorization, ["exit", "7"]);
      assert.deepEqual(result, { stdout: "ran exit 7\n", stderr: "", exitCode: 7 });
    }
    await assert.rejects(execOver(`${api.url}/pods/nope/exec`, auth.authorization, ["true"]), /HTTP 404/);
  });

  test("an exec upgrade from a web page (a foreign Origin) is refused with 403 and runs nothing", async () => {
    const url = `${api.url}/pods/web-p1/exec?command=touch&command=hijacked`;
    const status = await upgradeRefusal(url, { ...auth, origin: "http://evil.example" });
    assert.equal(status, 403);
    assert.ok(!ran.some((command) => command.includes("hijacked")), "nothing ran");
  });

  test("usage of pods and nodes", async () => {
    const pods = (await (await fetch(`${api.url}/usage/pods`, { headers: auth })).json()) as {
      name: string;
      node: string;
      memory?: number;
    }[];
    assert.deepEqual(
      pods.map((p) => [p.name, p.node, p.memory]),
      [
        ["web-p1", "n1", 5_000_000],
        ["web-p2", "n2", 5_000_000],
      ],
    );
    const nodes = (await (await fetch(`${api.url}/usage/nodes`, { headers: auth })).json()) as {
      name: string;
      pods: number;
      memory?: number;
    }[];
    assert.deepEqual(
      nodes.map((n) => [n.name, n.pods, n.memory]),
      [
        ["n1", 1, 5_000_000],
        ["n2", 1, 5_000_000],
      ],
    );
  });

  test("a node whose endpoint presents another certificate than the one registered: 503 naming the node, nothing runs", async () => {
    const entry = await store.get<NodeInfo>(keys.node("n2"));
    assert.ok(entry);
    const other = await ensureEndpointCertificate({ node: "n2", address: "127.0.0.1", nowMs: Date.now() });
    await store.set(keys.node("n2"), { ...entry.value, endpointCertificate: other.cert });
    try {
      const logs = await fetch(`${api.url}/pods/web-p2/log`, { headers: auth });
      assert.equal(logs.status, 503);
      assert.match(
        ((await logs.json()) as { message: string }).message,
        /^node n2's endpoint https:\/\/127\.0\.0\.1:\d+ presented a certificate other than the one the node registered: refused/,
      );
      const before = ran.length;
      await assert.rejects(execOver(`${api.url}/pods/web-p2/exec`, auth.authorization, ["true"]), /HTTP 503/);
      assert.equal(ran.length, before, "nothing ran");
    } finally {
      const now = await store.get<NodeInfo>(keys.node("n2"));
      await store.set(keys.node("n2"), { ...now?.value, ...entry.value });
    }
    assert.equal((await fetch(`${api.url}/pods/web-p2/log?tail=1`, { headers: auth })).status, 200);
  });
});
