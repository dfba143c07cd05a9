// The ZooKeeper store over TLS (`ZooKeeperStoreOptions.tls`), on a real ZooKeeper 3.8 serving a
// `secureClientPort` from PEM files that openssl makes for this test.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { makeTestCertificates, type TestCertificates } from "../../../test/support/test-certificates.js";
import { startZooKeeper, type ZooKeeperServer } from "../../../test/support/zookeeper-server.js";
import { UnavailableError } from "../../core/errors.js";
import type { WatchEvent } from "../store.js";
import { eventually } from "../testing/contract-support.js";
import { openZooKeeperStore, type ZooKeeperStore } from "./zookeeper-store.js";

let certificates: TestCertificates;
let server: ZooKeeperServer;
before(async () => {
  certificates = await makeTestCertificates();
  server = await startZooKeeper({
    tls: { keyStoreFile: certificates.serverKeyStoreFile, trustStoreFile: certificates.caFile },
  });
});
after(async () => {
  await server?.stop();
  certificates?.remove();
});

test("a store over TLS writes, reads, watches and holds ephemeral keys", async () => {
  const root = `/tls-${randomUUID().slice(0, 8)}`;
  const stores: ZooKeeperStore[] = [];
  try {
    const open = async () => {
      const store = await openZooKeeperStore({
        connectString: server.secureAddress ?? "",
        root,
        sessionTimeoutMs: 2000,
        tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey },
      });
      stores.push(store);
      return store;
    };
    const [store, other] = [await open(), await open()];
    const events: WatchEvent<number>[] = [];
    await store.watch<number>("/deployments", (event) => events.push(event));
    await other.set("/deployments/web", 3);
    await other.create("/nodes/n1", { address: "10.0.0.1" }, { ephemeral: true });
    await eventually(() =>
      assert.deepEqual(events, [{ type: "put", key: "/deployments/web", value: 3, version: 0 }]),
    );
    assert.deepEqual((await store.get("/nodes/n1"))?.value, { address: "10.0.0.1" });
    await other.close();
    assert.equal(await store.get("/nodes/n1"), undefined);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test("a store that does not trust the servers' CA fails to open with UnavailableError", async () => {
  await assert.rejects(
    openZooKeeperStore({
      connectString: server.secureAddress ?? "",
      sessionTimeoutMs: 2000,
      operationTimeoutMs: 1500,
      tls: { ca: certificates.strangerCa, cert: certificates.clientCert, key: certificates.clientKey },
    }),
    UnavailableError,
  );
});
