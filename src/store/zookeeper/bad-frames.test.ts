// A ZooKeeper store whose server sends a frame the client cannot decode (alexguan/node-zookeeper-client#39, e.g.
// an empty frame after a session expired): the process lives on and the store keeps its session. The client's
// own handling of such frames is tested in test/zookeeper-client.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "../../../test/support/fault-proxy.js";
import { startZooKeeper, type ZooKeeperServer } from "../../../test/support/zookeeper-server.js";
import type { SessionState } from "../store.js";
import { eventually } from "../testing/contract-support.js";
import { openZooKeeperStore, type ZooKeeperStore } from "./zookeeper-store.js";

/** A frame of length 0: the client's decoder reads past its end ("offset: 4 is out of buffer range"). */
const EMPTY_FRAME = Buffer.alloc(4);

let server: ZooKeeperServer;
before(async () => {
  server = await startZooKeeper();
});
after(() => server?.stop());

test("an undecodable frame costs the store a reconnection, not the process, and it keeps its session", async () => {
  const uncaught: Error[] = [];
  const keep = (error: Error) => uncaught.push(error);
  process.on("uncaughtException", keep);
  let proxy: FaultProxy | undefined;
  let store: ZooKeeperStore | undefined;
  try {
    proxy = await startFaultProxy(server);
    store = await openZooKeeperStore({
      connectString: proxy.address,
      root: `/bad-frames-${randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: 2000,
    });
    const session = store.sessionId;
    const states: SessionState[] = [];
    store.onSession((state) => states.push(state));

    proxy.inject(EMPTY_FRAME);
    await eventually(() => assert.deepEqual(states, ["disconnected", "connected"]), 10_000);
    assert.deepEqual(uncaught, []);
    assert.equal(store.sessionId, session);
    assert.equal(proxy.connections, 2);
    await store.set("/after", 1);
    assert.equal((await store.get("/after"))?.value, 1);
  } finally {
    process.off("uncaughtException", keep);
    await store?.close();
    await proxy?.close();
  }
});
