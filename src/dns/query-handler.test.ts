import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import dnsPacket from "dns-packet";
import { metricsText } from "../metrics/metrics-registry.js";
import { ClusterAuthority } from "./cluster-authority.js";
import { ClusterRecords } from "./cluster-records.js";
import { Forwarder } from "./forwarder.js";
import { QueryHandler } from "./query-handler.js";
import { deadPort, decodeReply, queryMessage, runningPod } from "./testing/test-support.js";
import { zoneIdentity } from "./zone.js";

function authority(): ClusterAuthority {
  const records = new ClusterRecords();
  records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
  return new ClusterAuthority(records, zoneIdentity("cluster.local", "10.0.0.1"), () => 1);
}

describe("QueryHandler", () => {
  const forwarders: Forwarder[] = [];
  after(() => {
    for (const forwarder of forwarders) forwarder.close();
  });

  test("in-zone answers are authoritative; RA only with upstreams", async () => {
    const alone = new QueryHandler({ authority: authority() });
    const reply = decodeReply(await alone.handle(queryMessage("web.cluster.local"), "udp"));
    assert.equal(reply.rcode, "NOERROR");
    assert.equal(reply.flag_aa, true);
    assert.equal(reply.flag_ra, false);
    assert.equal(reply.answers?.length, 1);
  });

  test("other classes and zone transfers are refused in the zone", async () => {
    const handler = new QueryHandler({ authority: authority() });
    const chaos = dnsPacket.encode({
      type: "query",
      id: 3,
      questions: [{ name: "web.cluster.local", type: "TXT", class: "CH" }],
    });
    assert.equal(decodeReply(await handler.handle(chaos, "udp")).rcode, "REFUSED");
    assert.equal(
      decodeReply(await handler.handle(queryMessage("cluster.local", "AXFR"), "tcp")).rcode,
      "REFUSED",
    );
  });

  test("outside the zone: REFUSED without upstreams, SERVFAIL when none answers", async () => {
    const handler = new QueryHandler({ authority: authority() });
    assert.equal(decodeReply(await handler.handle(queryMessage("example.test"), "udp")).rcode, "REFUSED");
    const forwarder = new Forwarder({ upstreams: [{ host: "127.0.0.1", port: await deadPort() }] });
    forwarders.push(forwarder);
    const forwarding = new QueryHandler({ authority: authority(), forwarder });
    const reply = decodeReply(await forwarding.handle(queryMessage("example.test", "A", { id: 99 }), "udp"));
    assert.equal(reply.rcode, "SERVFAIL");
    assert.equal(reply.id, 99);
    assert.equal(reply.flag_ra, true);
  });

  test("malformed messages: FORMERR or nothing", async () => {
    const handler = new QueryHandler({ authority: authority() });
    assert.equal(await handler.handle(Buffer.from([1, 2, 3]), "udp"), undefined);
    const cut = queryMessage("web.cluster.local").subarray(0, 18);
    assert.equal(decodeReply(await handler.handle(cut, "tcp")).rcode, "FORMERR");
  });

  test("answers are counted by transport and answer code, dropped messages apart", async () => {
    const handler = new QueryHandler({ authority: authority() });
    const count = async (series: string) => {
      const line = (await metricsText())
        .split("\n")
        .find((l) => l.startsWith(`orchestra_dns_queries_total{${series}} `));
      return Number(line?.split(" ")[1] ?? 0);
    };
    const before = {
      ok: await count('transport="udp",rcode="NOERROR"'),
      missing: await count('transport="tcp",rcode="NXDOMAIN"'),
      dropped: await count('transport="udp",rcode="dropped"'),
    };
    await handler.handle(queryMessage("web.cluster.local"), "udp");
    await handler.handle(queryMessage("nothing.cluster.local"), "tcp");
    await handler.handle(Buffer.from([1, 2, 3]), "udp");
    assert.equal(await count('transport="udp",rcode="NOERROR"'), before.ok + 1);
    assert.equal(await count('transport="tcp",rcode="NXDOMAIN"'), before.missing + 1);
    assert.equal(await count('transport="udp",rcode="dropped"'), before.dropped + 1);
  });
});
