import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fetch as undiciFetch } from "undici";
import { UnauthorizedError } from "../api/errors.js";
import { NodeProxy, pinnedEndpointOf } from "../api/node-proxy.js";
import { ConflictError, UnavailableError } from "../core/errors.js";
import type { NodeInfo } from "../core/types.js";
import { FakeRuntime } from "../runtime/testing/fake/fake-runtime.js";
import type { Store } from "../store/store.js";
import { type IssuedPair, issueSelfSignedCertificate } from "../tls/certificate-issuer.js";
import { certificateSha256, ensureEndpointCertificate } from "./endpoint-certificate.js";
import type { PinnedEndpoint } from "./endpoint-pinning.js";
import { type RunningNodeEndpoint, startNodeEndpoint } from "./node-endpoint.js";

const NODE = "n1";
const AUTHORIZATION = "Bearer api-server";

describe("node endpoint TLS: the registered certificate and no other", () => {
  let runtime: FakeRuntime;
  let endpoint: RunningNodeEndpoint;
  let certificate: string;
  let other: string;
  let proxy: NodeProxy;
  let client: IssuedPair;
  const presented: (string | undefined)[] = [];

  before(async () => {
    runtime = new FakeRuntime({ images: [] });
    client = await issueSelfSignedCertificate(
      "orchestra-api-test",
      { dns: [], ip: [] },
      Date.now(),
      "client",
    );
    const tls = await ensureEndpointCertificate({ node: NODE, address: "127.0.0.1", nowMs: Date.now() });
    certificate = tls.cert;
    // Another self-signed certificate for the same node and address: what an impostor could make.
    other = (await ensureEndpointCertificate({ node: NODE, address: "127.0.0.1", nowMs: Date.now() })).cert;
    endpoint = await startNodeEndpoint({
      tls,
      host: "127.0.0.1",
      port: 0,
      authenticate: async (authorization, clientCert) => {
        presented.push(authorization);
        if (authorization !== AUTHORIZATION || clientCert !== certificateSha256(client.cert)) {
          throw new UnauthorizedError("authorization: not valid");
        }
      },
      pods: { node: NODE, runtime, hasPod: () => false, previous: () => undefined },
    });
    // Only the credential is used by get and openSocket; the store only to find pods.
    proxy = new NodeProxy({} as Store, {
      authorization: AUTHORIZATION,
      clientCertificate: async () => client,
    });
  });

  after(async () => {
    await proxy?.close();
    await endpoint?.close();
    await runtime?.close();
  });

  const pinned = (cert: string): PinnedEndpoint => ({ node: NODE, url: endpoint.url, certificate: cert });

  test("the endpoint serves https; the registered certificate is accepted, with the credential and client certificate", async () => {
    assert.match(endpoint.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const usage = await proxy.get(pinned(certificate), "/usage");
    assert.equal(usage.status, 200);
    assert.equal(((await usage.json()) as { node: string }).node, NODE);
    assert.equal(presented.at(-1), AUTHORIZATION);
    // The exec upgrade goes through the same check (the pod is not here: 409 after TLS and the credential).
    await assert.rejects(
      proxy.openSocket(pinned(certificate), "/pods/p1/exec?command=true"),
      (err: Error) => {
        assert.ok(err instanceof ConflictError, String(err));
        return true;
      },
    );
  });

  test("another self-signed certificate is refused with a 503 naming the node, and the credential is not sent", async () => {
    const before = presented.length;
    const expectRefusal = (err: Error) => {
      assert.ok(err instanceof UnavailableError, String(err));
      assert.match(
        err.message,
        /^node n1's endpoint https:\/\/127\.0\.0\.1:\d+ presented a certificate other than the one the node registered: refused/,
      );
      return true;
    };
    await assert.rejects(proxy.get(pinned(other), "/usage"), expectRefusal);
    await assert.rejects(proxy.openSocket(pinned(other), "/pods/p1/exec?command=true"), expectRefusal);
    assert.equal(presented.length, before, "no request reached the endpoint");
    assert.notEqual(certificateSha256(other), certificateSha256(certificate));
  });

  test("plain HTTP to the endpoint gets no answer", async () => {
    const plain = endpoint.url.replace(/^https:/, "http:");
    await assert.rejects(undiciFetch(`${plain}/healthz`));
    await assert.rejects(fetch(`${plain}/usage`, { headers: { authorization: AUTHORIZATION } }));
  });

  test("a node registered without TLS is not called: a 409 naming the node, never plain HTTP", () => {
    const node = { name: "old", endpoint: "http://10.0.0.2:10250" } as NodeInfo;
    assert.throws(
      () => pinnedEndpointOf(node),
      /^ConflictError: node old registered its endpoint without a TLS certificate/,
    );
    const noCert = { ...node, endpoint: "https://10.0.0.2:10250" };
    assert.throws(() => pinnedEndpointOf(noCert), ConflictError);
    const forged = { ...noCert, endpoint: "http://10.0.0.2:10250", endpointCertificate: certificate };
    assert.throws(() => pinnedEndpointOf(forged), ConflictError);
    assert.deepEqual(pinnedEndpointOf({ ...noCert, endpointCertificate: certificate }), {
      node: "old",
      url: "https://10.0.0.2:10250",
      certificate,
    });
  });
});

describe("node endpoint certificate", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-endpoint-cert-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("kept in the data folder (key 0600) and reused; a new one for a new address; a new one each start without a folder", async () => {
    const now = Date.now();
    const first = await ensureEndpointCertificate({
      node: NODE,
      address: "10.0.0.2",
      dataDir: dir,
      nowMs: now,
    });
    assert.equal(first.made, true);
    assert.equal(first.certFile, join(dir, "tls", "node-endpoint.pem"));
    assert.equal(statSync(join(dir, "tls", "node-endpoint.key")).mode & 0o777, 0o600);
    const again = await ensureEndpointCertificate({
      node: NODE,
      address: "10.0.0.2",
      dataDir: dir,
      nowMs: now,
    });
    assert.equal(again.made, false);
    assert.equal(again.cert, first.cert);
    assert.equal(again.key, first.key);
    const moved = await ensureEndpointCertificate({
      node: NODE,
      address: "10.0.0.3",
      dataDir: dir,
      nowMs: now,
    });
    assert.equal(moved.made, true);
    assert.notEqual(moved.cert, first.cert);
    const a = await ensureEndpointCertificate({ node: NODE, address: "10.0.0.2", nowMs: now });
    const b = await ensureEndpointCertificate({ node: NODE, address: "10.0.0.2", nowMs: now });
    assert.notEqual(a.cert, b.cert);
    assert.equal(a.certFile, undefined);
  });
});
