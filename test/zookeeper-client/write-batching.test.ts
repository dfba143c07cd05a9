// The patched ZooKeeper client sends the requests queued in one turn of the event loop in one socket write (the
// original made one system call per request), on a real ZooKeeper server. The client's socket is taken from
// Node's `net.client.socket` diagnostics channel; what it holds back is read from its public writable state.
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import * as zk from "../../src/store/zookeeper/client-calls.js";
import { newClient, nextEvent, useZooKeeper } from "./client-support.js";

const { server } = useZooKeeper();

test("the requests of one turn are held and leave together at the end of the turn, all answered", async () => {
  const sockets: Socket[] = [];
  const keep = (message: unknown) => sockets.push((message as { socket: Socket }).socket);
  diagnostics.subscribe("net.client.socket", keep);
  const client = newClient(server().connectString);
  try {
    const connected = nextEvent(client, "connected", 10_000);
    client.connect();
    await connected;
  } finally {
    diagnostics.unsubscribe("net.client.socket", keep);
  }
  const [socket] = sockets;
  assert.ok(socket && sockets.length === 1, `${sockets.length} sockets`);
  await nextTurn();

  const sentBefore = socket.bytesWritten;
  const answers = Array.from({ length: 50 }, () => zk.exists(client, "/"));
  assert.equal(socket.writableCorked, 1, "the socket is corked for the rest of the turn");
  // 50 requests of 18 bytes each (length, xid, type, path "/", watch flag), none sent yet.
  assert.equal(socket.writableLength, 50 * 18);
  assert.equal(socket.bytesWritten - socket.writableLength, sentBefore);
  await nextTurn();
  assert.equal(socket.writableCorked, 0);
  assert.equal(socket.writableLength, 0, "all written at the end of the turn");
  const stats = await Promise.all(answers);
  assert.ok(stats.every((stat) => stat !== null));
});
