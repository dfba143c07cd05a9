import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Answer } from "dns-packet";
import { ClusterAuthority } from "./cluster-authority.js";
import { ClusterRecords } from "./cluster-records.js";
import { runningPod } from "./testing/test-support.js";
import { zoneIdentity } from "./zone.js";

function setup(): { authority: ClusterAuthority; records: ClusterRecords } {
  const records = new ClusterRecords();
  records.setPod("p1", runningPod("p1", "web-a", "web", "10.0.0.2"));
  records.setPod("p2", runningPod("p2", "web-b", "web", "10.0.0.3"));
  records.setPod("p3", runningPod("p3", "web-c", "web", "10.0.0.4"));
  records.setDeployment("empty", true);
  const authority = new ClusterAuthority(records, zoneIdentity("cluster.local", "10.0.0.1"), () => 42);
  return { authority, records };
}

const data = (answers: Answer[]) => answers.map((answer) => ("data" in answer ? answer.data : undefined));

describe("ClusterAuthority", () => {
  test("knows which names are its own", () => {
    const { authority } = setup();
    assert.ok(authority.contains("cluster.local"));
    assert.ok(authority.contains("WEB.Cluster.Local."));
    assert.ok(!authority.contains("example.com"));
    assert.ok(!authority.contains("notcluster.local"));
  });

  test("A of a deployment: every running pod, rotated one step per answer", () => {
    const { authority } = setup();
    const first = authority.answer("web.cluster.local", "A");
    assert.equal(first.rcode, "NOERROR");
    assert.deepEqual(data(first.answers), ["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    assert.deepEqual(data(authority.answer("web.cluster.local", "A").answers), [
      "10.0.0.3",
      "10.0.0.4",
      "10.0.0.2",
    ]);
    assert.deepEqual(data(authority.answer("web.cluster.local", "A").answers), [
      "10.0.0.4",
      "10.0.0.2",
      "10.0.0.3",
    ]);
    assert.ok(first.answers.every((answer) => answer.type === "A" && answer.ttl === 5));
  });

  test("only answers carrying the addresses turn the rotation (resolvers ask A and AAAA together)", () => {
    const { authority } = setup();
    const firsts: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(authority.answer("web.cluster.local", "AAAA").answers.length, 0);
      assert.equal(authority.answer("web.cluster.local", "SRV").answers.length, 0);
      firsts.push(data(authority.answer("web.cluster.local", "A").answers)[0]);
    }
    assert.deepEqual(firsts, ["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
  });

  test("owner names repeat the question's case", () => {
    const { authority } = setup();
    const answer = authority.answer("Web.CLUSTER.local", "A");
    assert.ok(answer.answers.every((record) => record.name === "Web.CLUSTER.local"));
  });

  test("A of a pod", () => {
    const { authority } = setup();
    assert.deepEqual(data(authority.answer("web-b.web.cluster.local", "A").answers), ["10.0.0.3"]);
    assert.equal(authority.answer("web-b.api.cluster.local", "A").rcode, "NXDOMAIN");
  });

  test("SRV of a named port, with the targets' addresses as additional records", () => {
    const { authority } = setup();
    const answer = authority.answer("_http._tcp.web.cluster.local", "SRV");
    assert.deepEqual(data(answer.answers), [
      { priority: 0, weight: 10, port: 8080, target: "web-a.web.cluster.local" },
      { priority: 0, weight: 10, port: 8080, target: "web-b.web.cluster.local" },
      { priority: 0, weight: 10, port: 8080, target: "web-c.web.cluster.local" },
    ]);
    assert.deepEqual(
      answer.additionals.map((record) => `${record.name} ${"data" in record ? record.data : ""}`),
      [
        "web-a.web.cluster.local 10.0.0.2",
        "web-b.web.cluster.local 10.0.0.3",
        "web-c.web.cluster.local 10.0.0.4",
      ],
    );
    assert.equal(authority.answer("_grpc._tcp.web.cluster.local", "SRV").rcode, "NXDOMAIN");
    assert.equal(authority.answer("_http._udp.web.cluster.local", "SRV").rcode, "NXDOMAIN");
  });

  test("unknown names: NXDOMAIN with the SOA in the authority section", () => {
    const { authority } = setup();
    for (const name of [
      "nope.cluster.local",
      "x.web-a.web.cluster.local",
      "a.b.c.d.cluster.local",
      "ns.cluster.local",
    ]) {
      const answer = authority.answer(name, "A");
      assert.equal(answer.rcode, "NXDOMAIN", name);
      assert.deepEqual(answer.answers, []);
      assert.equal(answer.authorities[0]?.type, "SOA");
      assert.equal(answer.authorities[0]?.name, "cluster.local");
    }
  });

  test("names that exist with other types: NODATA (NOERROR, no answers, SOA)", () => {
    const { authority } = setup();
    for (const [name, type] of [
      ["web.cluster.local", "AAAA"],
      ["web-a.web.cluster.local", "AAAA"],
      ["web.cluster.local", "SRV"],
      ["empty.cluster.local", "A"],
      ["_tcp.web.cluster.local", "A"],
      ["dns.cluster.local", "A"],
      ["cluster.local", "A"],
    ]) {
      const answer = authority.answer(name as string, type as string);
      assert.equal(answer.rcode, "NOERROR", `${name} ${type}`);
      assert.deepEqual(answer.answers, [], `${name} ${type}`);
      assert.equal(answer.authorities[0]?.type, "SOA", `${name} ${type}`);
    }
  });

  test("the apex has SOA and NS, the name server's A as glue", () => {
    const { authority } = setup();
    const soa = authority.answer("cluster.local", "SOA");
    assert.deepEqual(data(soa.answers), [
      {
        mname: "ns.dns.cluster.local",
        rname: "hostmaster.cluster.local",
        serial: 42,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: 5,
      },
    ]);
    const ns = authority.answer("cluster.local", "NS");
    assert.deepEqual(data(ns.answers), ["ns.dns.cluster.local"]);
    assert.deepEqual(data(ns.additionals), ["10.0.0.1"]);
    assert.deepEqual(data(authority.answer("ns.dns.cluster.local", "A").answers), ["10.0.0.1"]);
    assert.deepEqual(
      authority.answer("cluster.local", "ANY").answers.map((record) => record.type),
      ["SOA", "NS"],
    );
  });

  test("answers follow the records", () => {
    const { authority, records } = setup();
    records.setPod("p2", undefined);
    records.setPod("p4", runningPod("p4", "web-d", "web", "10.0.0.5"));
    const answer = authority.answer("web.cluster.local", "A");
    assert.deepEqual([...data(answer.answers)].sort(), ["10.0.0.2", "10.0.0.4", "10.0.0.5"]);
    assert.equal(authority.answer("web-b.web.cluster.local", "A").rcode, "NXDOMAIN");
  });
});
