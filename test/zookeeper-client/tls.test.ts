// The patched ZooKeeper client over TLS (option `tls`, Node's tls.connect options), against a real ZooKeeper 3.8
// serving a `secureClientPort` from PEM key and trust stores made with openssl for this test. The server asks for
// a client certificate (ZooKeeper's default), so the client shows one signed by the same CA.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateMode, type Event } from "node-zookeeper-client";
import * as zk from "../../src/store/zookeeper/client-calls.js";
import { makeTestCertificates, type TestCertificates } from "../support/test-certificates.js";
import { startZooKeeper, type ZooKeeperServer } from "../support/zookeeper-server.js";
import { closeClients, connectedClient, newClient } from "./client-support.js";

describe("ZooKeeper client: TLS", () => {
  let certificates: TestCertificates;
  let server: ZooKeeperServer;
  let secureAddress: string;
  before(async () => {
    certificates = await makeTestCertificates();
    server = await startZooKeeper({
      tls: { keyStoreFile: certificates.serverKeyStoreFile, trustStoreFile: certificates.caFile },
    });
    assert.ok(server.secureAddress);
    secureAddress = server.secureAddress;
  });
  afterEach(closeClients);
  after(async () => {
    await server?.stop();
    certificates?.remove();
  });

  test("a client that trusts the server's CA and shows its own certificate reads, writes and watches", async () => {
    const tls = { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey };
    const client = await connectedClient(secureAddress, { tls });
    const path = `/tls-${randomUUID().slice(0, 8)}`;
    await zk.create(client, path, Buffer.from("secret"), CreateMode.PERSISTENT);
    const changed = new Promise<Event>((resolve) => {
      void zk.getData(client, path, resolve);
    });
    const plain = await connectedClient(server.connectString);
    await zk.setData(plain, path, Buffer.from("changed"), 0);
    assert.equal((await changed).getPath(), path);
    assert.equal((await zk.getData(client, path)).data.toString(), "changed");
  });

  /** A client with `tls` that must never connect: resolves with the connection errors it reported. */
  async function refused(tls: object): Promise<Error[]> {
    const client = newClient(secureAddress, { tls });
    const errors: Error[] = [];
    let connected = false;
    client.on("socketError", (error) => errors.push(error));
    client.on("connected", () => {
      connected = true;
    });
    client.connect();
    await sleep(3000);
    assert.equal(connected, false, "the client connected");
    return errors;
  }

  test("a client that does not trust the server's certificate never connects, and says why", async () => {
    const errors = await refused({
      ca: certificates.strangerCa,
      cert: certificates.clientCert,
      key: certificates.clientKey,
    });
    assert.ok(errors.length > 0, "no connection error reported");
    assert.match(String(errors[0]), /certificate/i);
  });

  test("a client without a certificate is refused by the server", async () => {
    const errors = await refused({ ca: certificates.ca });
    assert.ok(errors.length > 0, "no connection error reported");
  });
});
