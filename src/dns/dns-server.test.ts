import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, describe, test } from "node:test";
import { DnsServer } from "./dns-server.js";
import type { Transport } from "./query-handler.js";
import { tcpExchange, udpExchange } from "./testing/test-support.js";

/** Echoes each message back with its transport's name appended; messages starting with 0 get no answer. */
async function echo(message: Buffer, transport: Transport): Promise<Buffer | undefined> {
  if (message[0] === 0) return undefined;
  // Answer later messages first, to show that TCP replies need not keep the queries' order.
  await new Promise((resolve) => setTimeout(resolve, (message[0] as number) > 100 ? 1 : 30));
  return Buffer.concat([message, Buffer.from(`/${transport}`)]);
}

describe("DnsServer", () => {
  const servers: DnsServer[] = [];
  const start = async (options: Partial<ConstructorParameters<typeof DnsServer>[0]> = {}) => {
    const server = new DnsServer({ host: "127.0.0.1", port: 0, handle: echo, ...options });
    servers.push(server);
    await server.listen();
    return server;
  };
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  test("answers over UDP and TCP on the same port", async () => {
    const server = await start();
    assert.ok(server.port > 0);
    assert.equal((await udpExchange(server.port, Buffer.from("hi")))?.toString(), "hi/udp");
    const replies = await tcpExchange(server.port, [Buffer.from("a"), Buffer.from("\xc8b", "latin1")]);
    assert.deepEqual(
      replies.map((reply) => reply.toString("latin1")),
      ["\xc8b/tcp", "a/tcp"],
      "pipelined, answered as they complete",
    );
  });

  test("sends nothing when the handler says so; keeps serving", async () => {
    const server = await start();
    assert.equal(await udpExchange(server.port, Buffer.from([0, 1]), 300), undefined);
    assert.deepEqual(await tcpExchange(server.port, [Buffer.from([0]), Buffer.from("x")], { expect: 1 }), [
      Buffer.from("x/tcp"),
    ]);
  });

  test("a connection with too many queries in flight is closed", async () => {
    const server = await start({ maxTcpPipeline: 2 });
    const replies = await tcpExchange(server.port, [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")], {
      timeoutMs: 500,
    });
    assert.deepEqual(replies, []);
    assert.equal((await udpExchange(server.port, Buffer.from("ok")))?.toString(), "ok/udp");
  });

  test("idle connections are closed", async () => {
    const server = await start({ tcpIdleMs: 100 });
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect({ port: server.port, host: "127.0.0.1" });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(Date.now() - started));
    });
    assert.ok(closedAfter >= 90 && closedAfter < 2000, `closed after ${closedAfter} ms`);
  });

  test("close() stops both transports", async () => {
    const server = await start();
    const port = server.port;
    await server.close();
    assert.equal(await udpExchange(port, Buffer.from("hi"), 300), undefined);
    assert.deepEqual(await tcpExchange(port, [Buffer.from("hi")], { timeoutMs: 300 }), []);
  });
});
