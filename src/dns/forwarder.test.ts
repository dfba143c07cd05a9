import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type DnsQuery, parseQuery } from "./dns-message.js";
import { Forwarder } from "./forwarder.js";
import {
  deadPort,
  decodeReply,
  queryMessage,
  startTestUpstream,
  type TestUpstream,
} from "./testing/test-support.js";

const A = (name: string, ip: string) => ({ name, type: "A" as const, ttl: 60, data: ip });

function query(name: string, options: { edns?: boolean } = {}): DnsQuery {
  const parsed = parseQuery(queryMessage(name, "A", options));
  if (parsed.kind !== "query") throw new Error("test query did not parse");
  return parsed.query;
}

describe("Forwarder", () => {
  const upstreams: TestUpstream[] = [];
  const forwarders: Forwarder[] = [];
  const upstream = async (...args: Parameters<typeof startTestUpstream>) => {
    const started = await startTestUpstream(...args);
    upstreams.push(started);
    return started;
  };
  const forwarder = (...args: ConstructorParameters<typeof Forwarder>) => {
    const made = new Forwarder(...args);
    forwarders.push(made);
    return made;
  };
  after(async () => {
    for (const made of forwarders) made.close();
    await Promise.all(upstreams.map((started) => started.close()));
  });

  test("relays the upstream's answer", async () => {
    const server = await upstream({ "example.test A": [A("example.test", "192.0.2.1")] });
    const response = await forwarder({ upstreams: [{ host: "127.0.0.1", port: server.port }] }).forward(
      query("example.test"),
    );
    const reply = decodeReply(response);
    assert.equal(reply.rcode, "NOERROR");
    assert.deepEqual(
      reply.answers?.map((answer) => ("data" in answer ? answer.data : "")),
      ["192.0.2.1"],
    );
  });

  test("asks again over TCP when the UDP answer is truncated", async () => {
    const server = await upstream({ "big.test A": [A("big.test", "192.0.2.7")] }, { udpTruncates: true });
    const reply = decodeReply(
      await forwarder({ upstreams: [{ host: "127.0.0.1", port: server.port }] }).forward(query("big.test")),
    );
    assert.equal(reply.flag_tc, false);
    assert.equal(reply.answers?.length, 1);
    assert.deepEqual(
      server.queries.map((q) => q.transport),
      ["udp", "tcp"],
    );
  });

  test("a dead upstream (port closed) fails at once; the next one answers", async () => {
    const server = await upstream({ "example.test A": [A("example.test", "192.0.2.1")] });
    const started = Date.now();
    const both = forwarder({
      upstreams: [
        { host: "127.0.0.1", port: await deadPort() },
        { host: "127.0.0.1", port: server.port },
      ],
    });
    assert.equal(decodeReply(await both.forward(query("example.test"))).answers?.length, 1);
    assert.ok(Date.now() - started < 500, "the refused upstream was not waited for");
    const onlyDead = forwarder({ upstreams: [{ host: "127.0.0.1", port: await deadPort() }] });
    const deadStart = Date.now();
    assert.equal(await onlyDead.forward(query("example.test")), undefined);
    assert.ok(Date.now() - deadStart < 500);
  });

  test("a silent upstream: the next one is tried after the attempt time; nothing past the total", async () => {
    const silent = await upstream({}, { silent: true });
    const server = await upstream({ "example.test A": [A("example.test", "192.0.2.1")] });
    const started = Date.now();
    const pair = forwarder({
      upstreams: [
        { host: "127.0.0.1", port: silent.port },
        { host: "127.0.0.1", port: server.port },
      ],
      attemptMs: 200,
      timeoutMs: 1000,
    });
    assert.equal(decodeReply(await pair.forward(query("example.test"))).answers?.length, 1);
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 800, `took ${took} ms`);

    const alone = forwarder({
      upstreams: [{ host: "127.0.0.1", port: silent.port }],
      attemptMs: 200,
      timeoutMs: 700,
    });
    const aloneStart = Date.now();
    assert.equal(await alone.forward(query("nothing.test")), undefined);
    const aloneTook = Date.now() - aloneStart;
    assert.ok(aloneTook >= 350 && aloneTook < 1000, `gave up after ${aloneTook} ms`);
  });

  test("SERVFAIL from one upstream: the next is asked; if all fail, the last failure is relayed", async () => {
    const failing = await upstream({}, { rcode: 2 });
    const server = await upstream({ "example.test A": [A("example.test", "192.0.2.1")] });
    const pair = forwarder({
      upstreams: [
        { host: "127.0.0.1", port: failing.port },
        { host: "127.0.0.1", port: server.port },
      ],
    });
    assert.equal(decodeReply(await pair.forward(query("example.test"))).rcode, "NOERROR");
    const alone = forwarder({ upstreams: [{ host: "127.0.0.1", port: failing.port }] });
    assert.equal(decodeReply(await alone.forward(query("example.test"))).rcode, "SERVFAIL");
  });

  test("identical queries in flight share one upstream exchange", async () => {
    const server = await upstream({ "example.test A": [A("example.test", "192.0.2.1")] });
    const shared = forwarder({ upstreams: [{ host: "127.0.0.1", port: server.port }] });
    const responses = await Promise.all([
      shared.forward(query("example.test")),
      shared.forward(query("example.test")),
      shared.forward(query("Example.test")),
    ]);
    assert.ok(responses.every((response) => response !== undefined));
    assert.equal(server.queries.length, 2, "one for example.test, one for Example.test (case differs)");
  });

  test("close() ends exchanges in flight", async () => {
    const silent = await upstream({}, { silent: true });
    const closing = forwarder({ upstreams: [{ host: "127.0.0.1", port: silent.port }], timeoutMs: 10_000 });
    const pending = closing.forward(query("example.test"));
    setTimeout(() => closing.close(), 50);
    const started = Date.now();
    assert.equal(await pending, undefined);
    assert.ok(Date.now() - started < 1000);
  });
});
