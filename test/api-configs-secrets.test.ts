// Configs, secrets and volume reports over real HTTP on the embedded store: create, read, update and delete
// with their preconditions and limits; a deployment naming a missing one refused (400) and its versions pinned;
// an update moving every user to a new revision; a delete refused while in use (409); keys kept only so far;
// re-encryption after a key rotation; --purge-volumes marking reports. A secret's plain text appears in no
// answer of any route, nor in the store.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import { DATA_VERSIONS_KEPT } from "../src/core/schemas/config-secret.js";
import type { Deployment, SecretData, VolumeReport } from "../src/core/types.js";
import { openSecretData } from "../src/secrets/secret-data.js";
import { keyIdOf, SecretKeyRing } from "../src/secrets/secret-key-ring.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { assertAnswerMatchesContract } from "./support/api-contract.js";

const PASSWORD = "correct-horse-battery-staple";
const NEW_PASSWORD = "tr0ub4dor-and-3";
const b64 = (text: string) => Buffer.from(text).toString("base64");

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field.
  body: any;
  text: string;
}

describe("configs, secrets and volumes over the API", () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let server: RunningApiServer;
  /** Every answer's text, to look for a secret in. */
  const answers: string[] = [];

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    url = server.url,
  ): Promise<Reply> {
    const response = await fetch(`${url}${path}`, {
      method,
      // A POST carries its content type even without a body, as the CLI sends it (a bodiless POST is refused).
      headers:
        body === undefined && method !== "POST"
          ? headers
          : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    answers.push(text);
    const reply = { status: response.status, body: JSON.parse(text), text };
    await assertAnswerMatchesContract(method, path, reply.status, reply.body);
    return reply;
  }

  function expect(reply: Reply, status: number, message?: RegExp): void {
    assert.equal(reply.status, status, reply.text);
    if (message) assert.match(reply.body.message, message);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-api-data-"));
    backend = EmbeddedBackend.open(dir);
    store = backend.connect();
    server = await startApiServer({ store, port: 0, secretsKey: new SecretKeyRing([keyA]) });
  });

  after(async () => {
    await server?.close();
    backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a config: created, read with its data, listed without; If-Match 0 and * as create and update", async () => {
    const created = await call(
      "PUT",
      "/configs/app",
      { data: { "app.conf": b64("level = info\n") } },
      {
        "if-match": "0",
      },
    );
    expect(created, 201);
    assert.deepEqual(
      {
        name: created.body.name,
        version: created.body.version,
        keys: created.body.keys,
        size: created.body.size,
      },
      { name: "app", version: 1, keys: ["app.conf"], size: 13 },
    );
    expect(
      await call("PUT", "/configs/app", { data: { a: b64("x") } }, { "if-match": "0" }),
      409,
      /already exists/,
    );
    expect(
      await call("PUT", "/configs/nope", { data: { a: b64("x") } }, { "if-match": "*" }),
      404,
      /not found/,
    );
    const read = await call("GET", "/configs/app");
    assert.deepEqual(read.body.data, { "app.conf": b64("level = info\n") });
    const listed = await call("GET", "/configs");
    assert.deepEqual(
      listed.body.map((c: { name: string; data?: unknown }) => [c.name, c.data]),
      [["app", undefined]],
    );
  });

  test("limits and malformed data are refused naming the field, and nothing is written", async () => {
    const before = JSON.stringify(await store.list(keys.configs));
    const tooBig = { data: { a: Buffer.alloc(512 * 1024 + 1).toString("base64") } };
    expect(
      await call("PUT", "/configs/big", tooBig),
      400,
      /^data: holds 524289 bytes; the limit is 524288 bytes/,
    );
    expect(await call("PUT", "/configs/app", { data: { "../x": b64("x") } }), 400, /^data\["\.\.\/x"\]/);
    expect(await call("PUT", "/configs/app", { data: { a: "%%%" } }), 400, /^data\.a: must be base64/);
    expect(
      await call("PUT", "/configs/Bad_Name", { data: { a: b64("x") } }),
      400,
      /^name: must be a DNS label/,
    );
    assert.equal(JSON.stringify(await store.list(keys.configs)), before);
  });

  test("a deployment naming a missing config or secret is refused, naming it", async () => {
    const spec = { name: "web", image: "nginx", secrets: [{ name: "db-password" }] };
    expect(
      await call("PUT", "/deployments", spec),
      400,
      /^secrets\[0\]\.name: secret db-password does not exist/,
    );
    const config = { name: "web", image: "nginx", configs: [{ name: "missing", env: true }] };
    expect(
      await call("PUT", "/deployments", config),
      400,
      /^configs\[0\]\.name: config missing does not exist/,
    );
    assert.equal(await store.get(keys.deployment("web")), undefined);
  });

  test("a secret's data is encrypted at rest and returned by no route", async () => {
    const created = await call("PUT", "/secrets/db-password", { data: { password: b64(PASSWORD) } });
    expect(created, 201);
    assert.equal(created.body.keyId, keyIdOf(keyA));
    assert.equal("data" in created.body, false);
    const stored = await store.get<SecretData>(keys.secretVersion("db-password", 1));
    assert.ok(stored);
    assert.ok(
      !JSON.stringify(stored.value).includes(PASSWORD) &&
        !JSON.stringify(stored.value).includes(b64(PASSWORD)),
    );
    assert.equal(
      openSecretData(new SecretKeyRing([keyA]), "db-password", 1, stored.value).password?.toString(),
      PASSWORD,
    );
    const one = await call("GET", "/secrets/db-password");
    assert.deepEqual(one.body.keys, ["password"]);
    assert.equal(one.body.size, PASSWORD.length);
    assert.equal("data" in one.body, false);
    await call("GET", "/secrets");
  });

  test("a deployment's references get the current versions; an update moves it to a new revision", async () => {
    const spec = {
      name: "web",
      image: "nginx",
      configs: [{ name: "app", mountPath: "/etc/app" }],
      secrets: [{ name: "db-password" }],
    };
    const put = await call("PUT", "/deployments", spec);
    expect(put, 201);
    assert.deepEqual(put.body.configs, [{ name: "app", mountPath: "/etc/app", version: 1 }]);
    assert.deepEqual(put.body.secrets, [{ name: "db-password", version: 1 }]);
    // The same spec again changes nothing: the versions it gets are those stored.
    expect(await call("PUT", "/deployments", spec), 200);
    const first = (await store.get<Deployment>(keys.deployment("web")))?.value as Deployment;
    assert.equal(first.generation, 1);

    const updated = await call("PUT", "/secrets/db-password", { data: { password: b64(NEW_PASSWORD) } });
    expect(updated, 200);
    assert.equal(updated.body.version, 2);
    assert.deepEqual(updated.body.usedBy, ["web"]);
    const moved = (await store.get<Deployment>(keys.deployment("web")))?.value as Deployment;
    assert.deepEqual(moved.secrets, [{ name: "db-password", version: 2 }]);
    assert.equal(moved.generation, 2);
    assert.notEqual(moved.hash, first.hash);

    // A version still kept may be named; one not kept is refused.
    const pinned = await call("PUT", "/deployments", {
      ...spec,
      secrets: [{ name: "db-password", version: 1 }],
    });
    expect(pinned, 200);
    assert.equal(pinned.body.hash, first.hash);
    expect(
      await call("PUT", "/deployments", { ...spec, secrets: [{ name: "db-password", version: 9 }] }),
      400,
      /^secrets\[0\]\.version: secret db-password has no version 9: versions 1 to 2 are kept/,
    );
  });

  test("deleting a config or secret in use is refused, naming the users; unused, it goes with its data", async () => {
    expect(
      await call("DELETE", "/secrets/db-password"),
      409,
      /^secret db-password is used by deployment web/,
    );
    expect(await call("DELETE", "/configs/app"), 409, /^config app is used by deployment web/);
    expect(await call("DELETE", "/deployments/web"), 200);
    expect(await call("DELETE", "/configs/app"), 200);
    assert.deepEqual(await store.list(keys.configVersions("app")), []);
    expect(await call("GET", "/configs/app"), 404);
    expect(await call("DELETE", "/configs/app"), 404);
  });

  test(`only the newest ${DATA_VERSIONS_KEPT} versions of the data are kept`, async () => {
    for (let i = 1; i <= DATA_VERSIONS_KEPT + 2; i++) {
      expect(await call("PUT", "/configs/many", { data: { n: b64(String(i)) } }), i === 1 ? 201 : 200);
    }
    const versions = (await store.list(keys.configVersions("many"))).map((entry) =>
      Number(entry.key.split("/").pop()),
    );
    assert.deepEqual(
      versions.sort((a, b) => a - b),
      Array.from({ length: DATA_VERSIONS_KEPT }, (_, i) => i + 3),
    );
    expect(await call("DELETE", "/configs/many"), 200);
  });

  test("rotation: a server with a new primary key re-encrypts every kept version, versions unchanged", async () => {
    const rotated = await startApiServer({ store, port: 0, secretsKey: new SecretKeyRing([keyB, keyA]) });
    try {
      const result = await call("POST", "/secrets/db-password/reencrypt", undefined, {}, rotated.url);
      expect(result, 200);
      assert.equal(result.body.reencrypted, 2);
      assert.equal(result.body.secret.keyId, keyIdOf(keyB));
      assert.equal(result.body.secret.version, 2);
      const again = await call("POST", "/secrets/db-password/reencrypt", undefined, {}, rotated.url);
      assert.equal(again.body.reencrypted, 0);
      const onlyB = new SecretKeyRing([keyB]);
      const stored = await store.get<SecretData>(keys.secretVersion("db-password", 2));
      assert.equal(
        openSecretData(onlyB, "db-password", 2, stored?.value as SecretData).password?.toString(),
        NEW_PASSWORD,
      );
    } finally {
      await rotated.close();
    }
  });

  test("an API server without a secrets key refuses to write secrets (503) and still lists them", async () => {
    const keyless = await startApiServer({ store, port: 0 });
    try {
      const refused = await call("PUT", "/secrets/other", { data: { a: b64("x") } }, {}, keyless.url);
      expect(refused, 503, /no secrets key; start it with --secrets-key-file/);
      expect(await call("GET", "/secrets", undefined, {}, keyless.url), 200);
    } finally {
      await keyless.close();
    }
  });

  test("deleting a deployment with purgeVolumes marks its volume reports; without, they stay as they are", async () => {
    const report = (deployment: string, node: string): VolumeReport => ({
      name: `orchestra-${deployment}-data`,
      node,
      deployment,
      volume: "data",
      inUse: false,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    for (const [deployment, node] of [
      ["db", "n1"],
      ["db", "n2"],
      ["cache", "n1"],
    ] as const) {
      await store.set(keys.volume(node, `orchestra-${deployment}-data`), report(deployment, node));
    }
    for (const deployment of ["db", "cache"]) {
      expect(await call("PUT", "/deployments", { name: deployment, image: "busybox" }), 201);
    }
    expect(await call("DELETE", "/deployments/cache"), 200);
    expect(await call("DELETE", "/deployments/db?purgeVolumes=true"), 200);
    const volumes = (await call("GET", "/volumes")).body as VolumeReport[];
    assert.deepEqual(
      volumes.map((v) => [v.name, v.node, v.purge ?? false]),
      [
        ["orchestra-cache-data", "n1", false],
        ["orchestra-db-data", "n1", true],
        ["orchestra-db-data", "n2", true],
      ],
    );
    assert.equal((await call("GET", "/volumes?node=n2")).body.length, 1);
  });

  test("no answer of any route held a secret's plain text or its base64", () => {
    assert.ok(answers.length > 20);
    for (const text of answers) {
      for (const secret of [PASSWORD, NEW_PASSWORD, b64(PASSWORD), b64(NEW_PASSWORD)]) {
        assert.ok(!text.includes(secret), `an answer holds a secret: ${text.slice(0, 200)}`);
      }
    }
  });
});
