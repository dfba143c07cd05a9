// The patched ZooKeeper client's timeouts and close, on a real ZooKeeper server behind a proxy that can stay
// silent: the connect timeout covers the session handshake, a connection that goes quiet is dropped after two
// thirds of the session timeout (as the Java client does), and close() while disconnected ends at once.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Exception } from "node-zookeeper-client";
import * as zk from "../../src/store/zookeeper/client-calls.js";
import { connectedClient, newClient, nextEvent, sessionOf, useZooKeeper } from "./client-support.js";

describe("ZooKeeper client: timeouts", () => {
  const { proxy } = useZooKeeper();

  test("a server that accepts and never answers the handshake is left after the connect timeout", async () => {
    const through = await proxy();
    through.answerNextHandshake(null);
    const started = Date.now();
    // One server: the connect timeout is the whole session timeout, 2 s.
    const client = await connectedClient(through.address, { sessionTimeout: 2000 }, 8000);
    const elapsed = Date.now() - started;
    assert.equal(through.connections, 2);
    assert.ok(elapsed >= 1900 && elapsed < 5000, `connected after ${elapsed} ms`);
    assert.ok(await zk.exists(client, "/"));
  });

  test("a connection on which the server goes silent is dropped within the session; the client keeps its session", async () => {
    const through = await proxy();
    // Ticks of 200 ms: the server grants 3 s; the read timeout is 2 s.
    const client = await connectedClient(through.address, { sessionTimeout: 3000 });
    assert.equal(client.getSessionTimeout(), 3000);
    const session = sessionOf(client);
    const disconnected = nextEvent(client, "disconnected", 6000);
    const silencedAt = Date.now();
    through.silence();
    await disconnected;
    const quietFor = Date.now() - silencedAt;
    assert.ok(quietFor >= 1900 && quietFor < 3000, `dropped after ${quietFor} ms`);
    await nextEvent(client, "connected", 5000);
    assert.equal(sessionOf(client), session);
    assert.ok(await zk.exists(client, "/"));
  });

  test("close() while not connected ends at once: the connection attempt is dropped and none follows", async () => {
    const through = await proxy();
    for (let i = 0; i < 5; i++) through.answerNextHandshake(null);
    const client = newClient(through.address, { sessionTimeout: 2000 });
    client.connect();
    while (through.connections === 0) await sleep(10);
    client.close();
    const closing = Date.now();
    while (through.openConnections > 0 && Date.now() - closing < 1000) await sleep(10);
    assert.equal(through.openConnections, 0, "the connection attempt is still open");
    await sleep(2500); // past the connect timeout and the spin delay
    assert.equal(through.connections, 1);
    const answer = await new Promise((resolve) => client.exists("/", (error) => resolve(error)));
    assert.equal(zk.zkCode(answer), Exception.CONNECTION_LOSS, "a call after close() fails at once");
  });
});
