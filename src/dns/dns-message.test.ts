import assert from "node:assert/strict";
import { describe, test } from "node:test";
import dnsPacket, { type Answer } from "dns-packet";
import { type DnsQuery, encodeResponse, parseQuery, relayResponse, responseLimit } from "./dns-message.js";
import { decodeReply, queryMessage } from "./testing/test-support.js";

function parsed(message: Buffer): DnsQuery {
  const result = parseQuery(message);
  assert.equal(result.kind, "query", result.kind === "query" ? "" : result.reason);
  return (result as { query: DnsQuery }).query;
}

function rejected(message: Buffer): { rcode: string; id: number; raw: Buffer } {
  const result = parseQuery(message);
  assert.equal(result.kind, "reject");
  const raw = (result as { response: Buffer }).response;
  const reply = decodeReply(raw);
  return { rcode: reply.rcode, id: reply.id ?? -1, raw };
}

describe("parseQuery", () => {
  test("reads the question, flags and EDNS", () => {
    const query = parsed(queryMessage("Web.Cluster.Local", "SRV", { id: 77 }));
    assert.equal(query.id, 77);
    assert.deepEqual(query.question, { name: "Web.Cluster.Local", type: "SRV", class: "IN" });
    assert.equal(query.recursionDesired, true);
    assert.deepEqual(query.edns, { udpPayloadSize: 1232, dnssecOk: false });
    assert.equal(parsed(queryMessage("a.b", "A", { edns: false })).edns, undefined);
  });

  test("drops what has no header, and responses", () => {
    assert.equal(parseQuery(Buffer.alloc(0)).kind, "drop");
    assert.equal(parseQuery(Buffer.alloc(11)).kind, "drop");
    const response = queryMessage("a.b");
    response[2] = (response[2] as number) | 0x80;
    assert.equal(parseQuery(response).kind, "drop");
  });

  test("FORMERR with the query's id for broken or unsupported shapes", () => {
    const good = queryMessage("web.cluster.local", "A", { id: 4242, edns: false });
    // Cut inside the question.
    assert.deepEqual(rejected(good.subarray(0, 20)).rcode, "FORMERR");
    assert.equal(rejected(good.subarray(0, 20)).id, 4242);
    // Trailing garbage.
    assert.equal(rejected(Buffer.concat([good, Buffer.from([1, 2, 3])])).rcode, "FORMERR");
    // Two questions.
    const two = dnsPacket.encode({
      type: "query",
      id: 1,
      questions: [
        { name: "a.cluster.local", type: "A" },
        { name: "b.cluster.local", type: "A" },
      ],
    });
    assert.equal(rejected(two).rcode, "FORMERR");
    // No question.
    assert.equal(rejected(dnsPacket.encode({ type: "query", id: 1, questions: [] })).rcode, "FORMERR");
    // Oversized.
    assert.equal(rejected(Buffer.concat([good, Buffer.alloc(5000)])).rcode, "FORMERR");
    // A compression pointer as the question's name.
    const pointer = Buffer.from(good.subarray(0, 12));
    assert.equal(rejected(Buffer.concat([pointer, Buffer.from([0xc0, 0x00, 0, 1, 0, 1])])).rcode, "FORMERR");
    // A label with a byte we could not echo faithfully.
    const odd = Buffer.concat([good.subarray(0, 12), Buffer.from([1, 0xff, 0, 0, 1, 0, 1])]);
    assert.equal(rejected(odd).rcode, "FORMERR");
  });

  test("NOTIMP for opcodes other than QUERY, BADVERS for EDNS versions above 0", () => {
    const notify = queryMessage("cluster.local", "SOA", { edns: false });
    notify[2] = (notify[2] as number) | (4 << 3);
    assert.equal(rejected(notify).rcode, "NOTIMP");
    const v1 = dnsPacket.encode({
      type: "query",
      id: 9,
      questions: [{ name: "web.cluster.local", type: "A" }],
      additionals: [
        {
          name: ".",
          type: "OPT",
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 1,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    const reply = decodeReply(rejected(v1).raw);
    const opt = reply.additionals?.find((record) => record.type === "OPT");
    assert.ok(opt && opt.type === "OPT");
    assert.equal(opt.extendedRcode, 1, "BADVERS is 16: 1 in the OPT record's upper bits");
  });
});

describe("encodeResponse", () => {
  const a = (i: number): Answer => ({
    name: "web.cluster.local",
    type: "A",
    ttl: 5,
    data: `10.0.${i >> 8}.${i & 255}`,
  });

  test("echoes the question byte for byte, with the reply's sections and flags", () => {
    const query = parsed(queryMessage("wEb.Cluster.local", "A", { id: 5 }));
    const raw = encodeResponse(query, {
      rcode: "NOERROR",
      answers: [a(1)],
      authoritative: true,
      recursionAvailable: true,
    });
    assert.deepEqual(raw.subarray(12, query.questionEnd), query.raw.subarray(12, query.questionEnd));
    const reply = decodeReply(raw);
    assert.equal(reply.id, 5);
    assert.equal(reply.flag_qr, true);
    assert.equal(reply.flag_aa, true);
    assert.equal(reply.flag_ra, true);
    assert.equal(reply.flag_rd, true);
    assert.equal(reply.questions?.[0]?.name, "wEb.Cluster.local");
    assert.equal(reply.answers?.length, 1);
    assert.ok(
      reply.additionals?.some((record) => record.type === "OPT"),
      "EDNS answered with EDNS",
    );
  });

  test("too large for the transport: answers cut to fit and TC set", () => {
    const query = parsed(queryMessage("web.cluster.local", "A", { edns: false }));
    const answers = Array.from({ length: 100 }, (_, i) => a(i));
    const udp = encodeResponse(query, { rcode: "NOERROR", answers }, responseLimit(query, "udp"));
    assert.ok(udp.length <= 512);
    const reply = decodeReply(udp);
    assert.equal(reply.flag_tc, true);
    assert.ok((reply.answers?.length ?? 0) > 10 && (reply.answers?.length ?? 0) < 100);
    const tcp = decodeReply(
      encodeResponse(query, { rcode: "NOERROR", answers }, responseLimit(query, "tcp")),
    );
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 100);
  });

  test("the UDP limit follows EDNS, between 512 and 1232", () => {
    assert.equal(responseLimit(parsed(queryMessage("a.b", "A", { edns: false })), "udp"), 512);
    assert.equal(responseLimit(parsed(queryMessage("a.b", "A")), "udp"), 1232);
    assert.equal(responseLimit(parsed(queryMessage("a.b", "A")), "tcp"), 65535);
  });
});

describe("relayResponse", () => {
  test("gives the upstream's answer the client's id, or TC when it does not fit", () => {
    const query = parsed(queryMessage("example.test", "A", { id: 1234, edns: false }));
    const upstream = dnsPacket.encode({
      type: "response",
      id: 999,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ name: "example.test", type: "A" }],
      answers: Array.from({ length: 60 }, (_, i) => ({
        name: "example.test",
        type: "A" as const,
        ttl: 60,
        data: `192.0.2.${i}`,
      })),
    });
    const whole = decodeReply(relayResponse(query, upstream, 65535));
    assert.equal(whole.id, 1234);
    assert.equal(whole.answers?.length, 60);
    const cut = decodeReply(relayResponse(query, upstream, 512));
    assert.equal(cut.id, 1234);
    assert.equal(cut.flag_tc, true);
    assert.equal(cut.answers?.length, 0);
    assert.equal(cut.questions?.[0]?.name, "example.test");
  });
});
