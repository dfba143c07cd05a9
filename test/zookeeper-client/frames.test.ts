// The patched ZooKeeper client's reading of what the server sends, on a real ZooKeeper server behind a proxy that
// re-cuts its bytes or adds bad ones: replies cut anywhere or packed many to a chunk are all decoded, and a frame
// that cannot be decoded drops the connection instead of throwing out of the socket's `data` event, which killed
// the process (alexguan/node-zookeeper-client#39).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { CreateMode, Exception } from "node-zookeeper-client";
import * as zk from "../../src/store/zookeeper/client-calls.js";
import type { Chunking } from "../support/fault-proxy.js";
import { connectedClient, newClient, nextEvent, sessionOf, useZooKeeper } from "./client-support.js";

/** A frame of length 0: too short for any reply ("offset: 4 is out of buffer range" in the original). */
const EMPTY_FRAME = Buffer.alloc(4);

/** Collects what would have killed the process: an exception thrown out of the client's socket handler. */
function catchUncaught(): { errors: Error[]; stop(): void } {
  const errors: Error[] = [];
  const keep = (error: Error) => errors.push(error);
  process.on("uncaughtException", keep);
  return { errors, stop: () => process.off("uncaughtException", keep) };
}

describe("ZooKeeper client: frames", () => {
  const { server, proxy } = useZooKeeper();

  const chunkings: Chunking[] = ["bytes", "coalesced"];
  for (const chunking of chunkings) {
    test(`decodes every reply when the server's bytes arrive ${chunking === "bytes" ? "one at a time" : "many replies to a chunk"}`, async () => {
      const through = await proxy();
      const root = `/frames-${randomUUID().slice(0, 8)}`;
      const writer = await connectedClient(server().connectString);
      await zk.create(writer, root, Buffer.from("root"), CreateMode.PERSISTENT);
      const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
      await Promise.all(
        names.map((n) =>
          zk.create(writer, `${root}/${n}`, Buffer.from(`value of ${n}`), CreateMode.PERSISTENT),
        ),
      );

      through.chunking = chunking;
      const reader = await connectedClient(through.address);
      const [children, values] = await Promise.all([
        zk.getChildren(reader, root),
        Promise.all(names.map((n) => zk.getData(reader, `${root}/${n}`))),
      ]);
      assert.deepEqual(children.sort(), [...names].sort());
      assert.deepEqual(
        values.map((v) => v.data.toString()),
        names.map((n) => `value of ${n}`),
      );
    });
  }

  test("an undecodable answer to the handshake drops that connection; the next attempt connects", async () => {
    const through = await proxy();
    through.answerNextHandshake(EMPTY_FRAME);
    const uncaught = catchUncaught();
    try {
      const client = newClient(through.address);
      const frameErrors: Error[] = [];
      client.on("frameError", (error) => frameErrors.push(error));
      const connected = nextEvent(client, "connected", 10_000);
      client.connect();
      await connected;
      assert.deepEqual(uncaught.errors, []);
      assert.equal(frameErrors.length, 1);
      assert.equal(through.connections, 2);
      const created = await zk.create(client, `/handshake-${randomUUID().slice(0, 8)}`, Buffer.from("x"), 0);
      assert.equal((await zk.getData(client, created)).data.toString(), "x");
    } finally {
      uncaught.stop();
    }
  });

  test("an undecodable frame on a live session fails the requests in flight with CONNECTION_LOSS; the client keeps its session", async () => {
    const through = await proxy();
    const uncaught = catchUncaught();
    try {
      const client = await connectedClient(through.address);
      const session = sessionOf(client);
      const frameError = nextEvent(client, "frameError", 5000);
      const reconnected = nextEvent(client, "disconnected", 5000).then(() =>
        nextEvent(client, "connected", 10_000),
      );
      // The request leaves at the end of this turn; the bad frame reaches the client before its reply.
      const inFlight = zk.getData(client, "/");
      through.inject(EMPTY_FRAME);
      await assert.rejects(inFlight, (error) => zk.zkCode(error) === Exception.CONNECTION_LOSS);
      const [error] = await frameError;
      assert.match(String(error), /cannot decode a reply from the server/);
      await reconnected;
      assert.deepEqual(uncaught.errors, []);
      assert.equal(sessionOf(client), session);
      assert.equal(through.connections, 2);
      assert.ok(await zk.exists(client, "/"));
    } finally {
      uncaught.stop();
    }
  });
});
