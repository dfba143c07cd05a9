// The guard against frames node-zookeeper-client cannot decode (alexguan/node-zookeeper-client#39), on a real
// ZooKeeper server behind a loopback proxy that can send the client an empty frame, as seen after session expiry.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { startZooKeeper, type ZooKeeperServer } from "../../../test/support/zookeeper-server.js";
import { eventually } from "../contract-support.js";
import type { SessionState } from "../store.js";
import { FrameSplitter, isFrameDecodeError } from "./frame-guard.js";
import { openZooKeeperStore, type ZooKeeperStore } from "./zookeeper-store.js";

/** A frame of length 0: the client's decoder reads past its end ("offset: 4 is out of buffer range"). */
const EMPTY_FRAME = Buffer.alloc(4);

/** Forwards to ZooKeeper; answers the first `refuseHandshakes` handshakes with an empty frame instead. */
class InjectingProxy {
  connections = 0;
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();

  constructor(
    private readonly target: ZooKeeperServer,
    private refuseHandshakes = 0,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("the proxy has no port");
    return `127.0.0.1:${address.port}`;
  }

  /** Sends `frame` to every connected client, as if the server had. */
  inject(frame: Buffer): void {
    for (const client of this.clients) client.write(frame);
  }

  async close(): Promise<void> {
    for (const socket of [...this.clients, ...this.upstreams]) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    this.connections++;
    this.clients.add(client);
    client.on("close", () => this.clients.delete(client));
    client.on("error", () => client.destroy());
    if (this.refuseHandshakes > 0) {
      this.refuseHandshakes--;
      client.once("data", () => client.write(EMPTY_FRAME));
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.upstreams.add(upstream);
    upstream.on("close", () => {
      this.upstreams.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Collects what would have killed the process: an exception thrown out of the client's socket handler. */
function catchUncaught(): { errors: Error[]; stop(): void } {
  const errors: Error[] = [];
  const keep = (error: Error) => errors.push(error);
  process.on("uncaughtException", keep);
  return { errors, stop: () => process.off("uncaughtException", keep) };
}

describe("ZooKeeper client frame guard", () => {
  let server: ZooKeeperServer;
  before(async () => {
    server = await startZooKeeper();
  });
  after(() => server?.stop());

  test("frames are handed over whole, one at a time, however the bytes arrive", () => {
    const frame = (text: string) => {
      const body = Buffer.from(text);
      const out = Buffer.alloc(4 + body.length);
      out.writeInt32BE(body.length, 0);
      body.copy(out, 4);
      return out;
    };
    const stream = Buffer.concat([frame("first"), frame(""), frame("third one"), frame("4")]);
    const texts = (frames: Buffer[]) => frames.map((f) => f.subarray(4).toString());
    // All in one chunk.
    assert.deepEqual(texts(new FrameSplitter().split("c1", stream)), ["first", "", "third one", "4"]);
    // One byte at a time.
    const splitter = new FrameSplitter();
    const seen: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) seen.push(...splitter.split("c1", stream.subarray(i, i + 1)));
    assert.deepEqual(texts(seen), ["first", "", "third one", "4"]);
    // A new connection starts afresh: half a frame of the old one is dropped.
    assert.deepEqual(splitter.split("c1", stream.subarray(0, 6)), []);
    assert.deepEqual(texts(splitter.split("c2", frame("fresh"))), ["fresh"]);
  });

  const openThrough = async (proxy: InjectingProxy) =>
    openZooKeeperStore({
      connectString: await proxy.listen(),
      root: `/guard-${randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: 2000,
    });

  test("recognises the decoder's errors and nothing else", () => {
    assert.ok(isFrameDecodeError(new Error("offset: 4 is out of buffer range.")));
    assert.ok(isFrameDecodeError(new RangeError('The value of "offset" is out of range.')));
    assert.ok(!isFrameDecodeError(new Error("a watcher failed")));
    assert.ok(!isFrameDecodeError("offset: 4 is out of buffer range."));
  });

  test("an empty answer to the session handshake drops that connection; the next attempt connects", async () => {
    const proxy = new InjectingProxy(server, 1);
    const uncaught = catchUncaught();
    let store: ZooKeeperStore | undefined;
    try {
      store = await openThrough(proxy);
      assert.deepEqual(uncaught.errors, []);
      assert.equal(store.sessionState, "connected");
      assert.ok(proxy.connections >= 2, `${proxy.connections} connection(s)`);
      await store.set("/answered", { ok: true });
      assert.deepEqual((await store.get("/answered"))?.value, { ok: true });
    } finally {
      uncaught.stop();
      await store?.close();
      await proxy.close();
    }
  });

  test("an empty frame on a live session drops the connection; the client reconnects to the same session", async () => {
    const proxy = new InjectingProxy(server);
    const uncaught = catchUncaught();
    let store: ZooKeeperStore | undefined;
    try {
      store = await openThrough(proxy);
      const session = store.sessionId;
      const states: SessionState[] = [];
      store.onSession((state) => states.push(state));

      proxy.inject(EMPTY_FRAME);
      await eventually(() => assert.deepEqual(states, ["disconnected", "connected"]), 10_000);
      assert.deepEqual(uncaught.errors, []);
      assert.equal(store.sessionId, session);
      assert.equal(proxy.connections, 2);
      await store.set("/after", 1);
      assert.equal((await store.get("/after"))?.value, 1);
    } finally {
      uncaught.stop();
      await store?.close();
      await proxy.close();
    }
  });
});
