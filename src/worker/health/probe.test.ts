import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { after, before, describe, test } from "node:test";
import type { HealthCheck } from "../../core/types.js";
import { FakeRuntime } from "../../runtime/testing/fake/fake-runtime.js";
import { runProbe } from "./probe.js";

const IMAGE = "orchestra/test:1";
const timing = { intervalSeconds: 1, timeoutSeconds: 0.3, retries: 1, startPeriodSeconds: 0 };
const http = (path: string, port: number): HealthCheck => ({ ...timing, http: { path, port } });
const tcp = (port: number): HealthCheck => ({ ...timing, tcp: { port } });
const exec = (argv: string[]): HealthCheck => ({ ...timing, exec: argv });

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

describe("runProbe", () => {
  let server: Server;
  let port: number;
  const runtime = new FakeRuntime({ images: [IMAGE] });
  let containerId: string;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/ok") res.writeHead(200).end("ok");
      else if (req.url === "/moved") res.writeHead(302, { location: "/elsewhere" }).end();
      else if (req.url === "/slow") setTimeout(() => res.writeHead(200).end(), 2000);
      else res.writeHead(500).end("broken");
    });
    port = await listen(server);
    await runtime.ensureNetwork({ name: "net", subnet: "10.1.0.0/24" });
    runtime.script(
      { image: IMAGE },
      {
        exec: (argv) => ({ exitCode: argv[0] === "true" ? 0 : 1, output: argv[0] === "true" ? "" : "no\n" }),
      },
    );
    containerId = (await runtime.start({ name: "c1", image: IMAGE, labels: {}, network: "net" })).id;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const target = () => ({ containerId, ip: "127.0.0.1" });

  test("http: 2xx and 3xx are healthy, 5xx is not", async () => {
    assert.equal((await runProbe(http("/ok", port), target(), runtime)).ok, true);
    assert.equal(
      (await runProbe(http("/moved", port), target(), runtime)).ok,
      true,
      "redirects are not followed",
    );
    const failed = await runProbe(http("/missing", port), target(), runtime);
    assert.equal(failed.ok, false);
    assert.match(failed.detail, /500/);
  });

  test("http: no answer within the timeout fails", async () => {
    const started = Date.now();
    const result = await runProbe(http("/slow", port), target(), runtime);
    assert.equal(result.ok, false);
    assert.match(result.detail, /no answer within 300 ms/);
    assert.ok(Date.now() - started < 1500, "the probe gave up at its timeout");
  });

  test("http and tcp: a closed port fails, an open one passes tcp", async () => {
    const closed = createTcpServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    assert.equal((await runProbe(http("/ok", closedPort), target(), runtime)).ok, false);
    const refused = await runProbe(tcp(closedPort), target(), runtime);
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /ECONNREFUSED/);
    assert.equal((await runProbe(tcp(port), target(), runtime)).ok, true);
  });

  test("http and tcp need the pod's IP", async () => {
    const result = await runProbe(tcp(port), { containerId }, runtime);
    assert.deepEqual(result, { ok: false, detail: "pod has no IP" });
  });

  test("exec: exit code 0 is healthy; anything else fails with the output", async () => {
    assert.equal((await runProbe(exec(["true"]), target(), runtime)).ok, true);
    const failed = await runProbe(exec(["false"]), target(), runtime);
    assert.equal(failed.ok, false);
    assert.equal(failed.detail, '["false"] exited 1: no');
  });

  test("exec: a timeout or a gone container is a failure, not an exception", async () => {
    const slow = new FakeRuntime({ images: [IMAGE] });
    await slow.ensureNetwork({ name: "net" });
    slow.script({ image: IMAGE }, { execLatencyMs: 1000 });
    const id = (await slow.start({ name: "c2", image: IMAGE, labels: {}, network: "net" })).id;
    const timedOut = await runProbe(exec(["true"]), { containerId: id }, slow);
    assert.equal(timedOut.ok, false);
    assert.match(timedOut.detail, /did not finish within 300 ms/);
    const gone = await runProbe(exec(["true"]), { containerId: "nope" }, slow);
    assert.equal(gone.ok, false);
    assert.match(gone.detail, /not found/);
  });
});
