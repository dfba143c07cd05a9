// A secret written through the API on a real ZooKeeper: the znodes that hold it, read directly with a plain
// ZooKeeper client, carry neither its value nor its base64, and a worker's key ring opens it again.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Client } from "node-zookeeper-client";
import { type RunningApiServer, startApiServer } from "../src/cmd/api.js";
import type { SecretData } from "../src/core/types.js";
import { openSecretData } from "../src/secrets/secret-data.js";
import { SecretKeyRing } from "../src/secrets/secret-key-ring.js";
import { openZooKeeperStore, type ZooKeeperStore } from "../src/store/zookeeper/zookeeper-store.js";
import { startZooKeeper, type ZooKeeperServer } from "./support/zookeeper-server.js";
import { closeClients, connectedClient } from "./zookeeper-client/client-support.js";

const SECRET = `zk-secret-${randomBytes(8).toString("hex")}`;

function getData(client: Client, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.getData(path, (err, data) => (err ? reject(err) : resolve(data ?? Buffer.alloc(0)))),
  );
}

function children(client: Client, path: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    client.getChildren(path, (err, names) => (err ? reject(err) : resolve(names))),
  );
}

describe("secrets at rest on ZooKeeper", () => {
  const ring = new SecretKeyRing([randomBytes(32)]);
  let server: ZooKeeperServer;
  let store: ZooKeeperStore;
  let api: RunningApiServer;

  before(async () => {
    server = await startZooKeeper();
    store = await openZooKeeperStore({ connectString: server.connectString, root: "/orchestra" });
    api = await startApiServer({ store, port: 0, secretsKey: ring });
  });

  after(async () => {
    closeClients();
    await api?.close();
    await store?.close();
    await server?.stop();
  });

  test("no znode under the root holds the secret in plain text or base64", async () => {
    const response = await fetch(`${api.url}/secrets/db-password`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { password: Buffer.from(SECRET).toString("base64") } }),
    });
    assert.equal(response.status, 201);
    assert.equal((await response.text()).includes(SECRET), false);

    const client = await connectedClient(server.connectString);
    const walk = async (path: string): Promise<string[]> => {
      const below = await children(client, path);
      const nested = await Promise.all(below.map((name) => walk(`${path}/${name}`)));
      return [path, ...nested.flat()];
    };
    const paths = await walk("/orchestra");
    assert.ok(paths.includes("/orchestra/secretdata/db-password/1"), paths.join(", "));
    for (const path of paths) {
      const bytes = await getData(client, path);
      assert.equal(bytes.includes(SECRET), false, `${path} holds the secret`);
      assert.equal(bytes.includes(Buffer.from(SECRET).toString("base64")), false, `${path} holds its base64`);
    }
    const stored = JSON.parse((await getData(client, "/orchestra/secretdata/db-password/1")).toString());
    assert.equal(openSecretData(ring, "db-password", 1, stored as SecretData).password?.toString(), SECRET);
  });
});
