// The cluster DNS server as clients see it: `dig` against a server on a loopback port, its records seeded
// through a real embedded store. A, SRV, NXDOMAIN, NODATA, apex, TCP, forwarding to an upstream the test
// runs, SERVFAIL, watch-driven changes, the zone file (named-checkzone), and a fuzz of broken packets.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import type { Deployment, Pod } from "../src/core/types.js";
import { ClusterDns } from "../src/dns/cluster-dns.js";
import {
  deadPort,
  queryMessage,
  runningPod,
  startTestUpstream,
  type TestUpstream,
  tcpExchange,
  udpExchange,
} from "../src/dns/testing/test-support.js";
import { zoneFileSerial } from "../src/dns/zone-file.js";
import { EmbeddedBackend } from "../src/store/embedded/embedded-backend.js";
import { keys } from "../src/store/keys.js";
import type { Store } from "../src/store/store.js";
import { eventually } from "../src/store/testing/contract-support.js";
import { removePod, savePod } from "../src/store/testing/pod-test-support.js";

const run = promisify(execFile);

/** dig against the server; one try, so that a missing answer shows as a failure, not a retry. */
async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("dig", ["@127.0.0.1", "-p", String(port), "+time=3", "+tries=1", ...args]);
  return stdout;
}

async function digShort(port: number, ...args: string[]): Promise<string[]> {
  return (await dig(port, "+short", ...args)).split("\n").filter((line) => line !== "");
}

function status(output: string): string | undefined {
  return /status: (\w+)/.exec(output)?.[1];
}

/** Lines of one section of dig's output (`+noall +<section>` prints only those). */
function records(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith(";"))
    .map((line) => line.split(/\s+/).join(" "));
}

function deployment(name: string): Deployment {
  return {
    name,
    image: "orchestra/hello",
    replicas: 1,
    hash: "h1",
    generation: 1,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
  };
}

describe("cluster DNS over dig", () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let store: Store;
  let upstream: TestUpstream;
  let dns: ClusterDns;
  let zoneFile: string;
  const servers: ClusterDns[] = [];

  async function startDns(
    options: Partial<ConstructorParameters<typeof ClusterDns>[0]> = {},
  ): Promise<ClusterDns> {
    const server = new ClusterDns({ store, host: "127.0.0.1", port: 0, ...options });
    servers.push(server);
    await server.start();
    return server;
  }

  const putPod = (pod: Pod) => savePod(store, pod);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestra-dns-test-"));
    backend = EmbeddedBackend.open(join(dir, "store"));
    store = backend.connect();
    upstream = await startTestUpstream({
      "example.test A": [{ name: "example.test", type: "A", ttl: 60, data: "192.0.2.1" }],
    });
    await store.set(keys.deployment("web"), deployment("web"));
    await store.set(keys.deployment("idle"), deployment("idle"));
    await putPod(runningPod("w1", "web-aaaaa", "web", "10.88.0.2"));
    await putPod(runningPod("w2", "web-bbbbb", "web", "10.88.0.3"));
    await putPod(runningPod("w3", "web-ccccc", "web", "10.88.0.4"));
    // Pods that are not running have no records.
    await putPod({
      ...runningPod("w4", "web-ddddd", "web", undefined),
      status: { phase: "Pending", restarts: 0 },
    });
    for (let i = 0; i < 60; i++) {
      await putPod(runningPod(`b${i}`, `big-${String(i).padStart(5, "0")}`, "big", `10.89.0.${i + 2}`));
    }
    zoneFile = join(dir, "cluster.local.zone");
    dns = await startDns({ upstreams: [{ host: "127.0.0.1", port: upstream.port }], zoneFile });
  });

  after(async () => {
    for (const server of servers) await server.stop();
    await upstream?.close();
    await store?.close();
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("A of a deployment: its running pods, the order rotating across queries", async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await digShort(dns.port, "web.cluster.local", "A"));
    for (const answer of answers)
      assert.deepEqual([...answer].sort(), ["10.88.0.2", "10.88.0.3", "10.88.0.4"]);
    assert.equal(
      new Set(answers.map((answer) => answer[0])).size,
      3,
      `first addresses: ${answers.join(" | ")}`,
    );
    const full = await dig(dns.port, "web.cluster.local", "+noall", "+answer", "+comments");
    assert.equal(status(full), "NOERROR");
    assert.match(full, /flags: qr aa rd ra;/);
    assert.ok(records(full).every((line) => /^web\.cluster\.local\. 5 IN A /.test(line)));
  });

  test("A of a pod, and a bare search-style name stays unknown", async () => {
    assert.deepEqual(await digShort(dns.port, "web-bbbbb.web.cluster.local"), ["10.88.0.3"]);
    assert.deepEqual(await digShort(dns.port, "WEB-BBBBB.Web.Cluster.Local"), ["10.88.0.3"]);
    assert.deepEqual(await digShort(dns.port, "web-ddddd.web.cluster.local"), [], "a pending pod has no A");
  });

  test("SRV of a named port, its targets resolvable from the additional section", async () => {
    const output = await dig(
      dns.port,
      "_http._tcp.web.cluster.local",
      "SRV",
      "+noall",
      "+answer",
      "+additional",
    );
    const lines = records(output);
    assert.deepEqual(lines.filter((line) => line.includes(" SRV ")).sort(), [
      "_http._tcp.web.cluster.local. 5 IN SRV 0 10 8080 web-aaaaa.web.cluster.local.",
      "_http._tcp.web.cluster.local. 5 IN SRV 0 10 8080 web-bbbbb.web.cluster.local.",
      "_http._tcp.web.cluster.local. 5 IN SRV 0 10 8080 web-ccccc.web.cluster.local.",
    ]);
    assert.deepEqual(lines.filter((line) => line.includes(" A ")).sort(), [
      "web-aaaaa.web.cluster.local. 5 IN A 10.88.0.2",
      "web-bbbbb.web.cluster.local. 5 IN A 10.88.0.3",
      "web-ccccc.web.cluster.local. 5 IN A 10.88.0.4",
    ]);
    assert.deepEqual(await digShort(dns.port, "web-ccccc.web.cluster.local"), ["10.88.0.4"]);
  });

  test("unknown names: NXDOMAIN with the zone's SOA in the authority section", async () => {
    for (const name of [
      "nope.cluster.local",
      "x.web-aaaaa.web.cluster.local",
      "_grpc._tcp.web.cluster.local",
    ]) {
      const output = await dig(dns.port, name, "+noall", "+comments", "+authority");
      assert.equal(status(output), "NXDOMAIN", name);
      assert.match(output, /flags: qr aa rd ra;/);
      assert.match(
        records(output).join("\n"),
        /^cluster\.local\. 5 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/,
      );
    }
  });

  test("existing names with another type (AAAA), and deployments without pods: NODATA", async () => {
    for (const [name, type] of [
      ["web.cluster.local", "AAAA"],
      ["web-aaaaa.web.cluster.local", "AAAA"],
      ["idle.cluster.local", "A"],
    ] as const) {
      const output = await dig(dns.port, name, type, "+noall", "+comments", "+authority");
      assert.equal(status(output), "NOERROR", `${name} ${type}`);
      assert.match(output, /ANSWER: 0,/);
      assert.match(records(output)[0] ?? "", / IN SOA /);
    }
  });

  test("the apex: SOA and NS, the name server resolvable", async () => {
    const [soa] = await digShort(dns.port, "cluster.local", "SOA");
    assert.match(soa ?? "", /^ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/);
    const ns = records(await dig(dns.port, "cluster.local", "NS", "+noall", "+answer", "+additional"));
    assert.deepEqual(ns, [
      "cluster.local. 5 IN NS ns.dns.cluster.local.",
      "ns.dns.cluster.local. 5 IN A 127.0.0.1",
    ]);
    assert.deepEqual(await digShort(dns.port, "ns.dns.cluster.local"), ["127.0.0.1"]);
  });

  test("TCP queries; a UDP answer too large is truncated and dig retries over TCP", async () => {
    assert.deepEqual((await digShort(dns.port, "+tcp", "web.cluster.local")).sort(), [
      "10.88.0.2",
      "10.88.0.3",
      "10.88.0.4",
    ]);
    const truncated = await dig(dns.port, "+noedns", "+ignore", "big.cluster.local", "+noall", "+comments");
    assert.match(truncated, /flags: qr aa tc rd ra;/);
    const retried = await dig(dns.port, "+noedns", "big.cluster.local", "+noall", "+answer", "+stats");
    assert.equal(records(retried).length, 60);
    assert.match(retried, /\(TCP\)/);
  });

  test("names outside the zone go to the upstream, over UDP and TCP alike", async () => {
    assert.deepEqual(await digShort(dns.port, "example.test"), ["192.0.2.1"]);
    assert.deepEqual(await digShort(dns.port, "+tcp", "example.test"), ["192.0.2.1"]);
    const missing = await dig(dns.port, "missing.test", "+noall", "+comments");
    assert.equal(status(missing), "NXDOMAIN");
    assert.doesNotMatch(missing, /flags:[^;]* aa/, "relayed, not authoritative");
    assert.ok(upstream.queries.some((query) => query.name === "example.test"));
  });

  test("SERVFAIL when no upstream answers, within a bounded time", async () => {
    const refused = await startDns({ upstreams: [{ host: "127.0.0.1", port: await deadPort() }] });
    let started = Date.now();
    assert.equal(status(await dig(refused.port, "example.test")), "SERVFAIL");
    assert.ok(Date.now() - started < 1000, "a refusing upstream is not waited for");

    const silentUpstream = await startTestUpstream({}, { silent: true });
    try {
      const silent = await startDns({ upstreams: [{ host: "127.0.0.1", port: silentUpstream.port }] });
      started = Date.now();
      assert.equal(status(await dig(silent.port, "example.test")), "SERVFAIL");
      const took = Date.now() - started;
      assert.ok(took >= 1500 && took < 2800, `SERVFAIL after ${took} ms`);
      assert.deepEqual(await digShort(silent.port, "web-aaaaa.web.cluster.local"), ["10.88.0.2"]);
    } finally {
      await silentUpstream.close();
    }
  });

  test("two servers forwarding to each other: SERVFAIL in bounded time, no storm", async () => {
    const a = await startDns({ upstreams: [] });
    const aPort = a.port;
    await a.stop();
    // b forwards to a's port; a (restarted on the same port) forwards to b.
    const b = await startDns({ upstreams: [{ host: "127.0.0.1", port: aPort }] });
    const a2 = await startDns({ port: aPort, upstreams: [{ host: "127.0.0.1", port: b.port }] });
    const started = Date.now();
    assert.equal(status(await dig(a2.port, "loop.test")), "SERVFAIL");
    assert.ok(Date.now() - started < 2800);
    assert.deepEqual(await digShort(b.port, "web-aaaaa.web.cluster.local"), ["10.88.0.2"]);
  });

  test("several servers side by side give the same answers", async () => {
    const second = await startDns({ upstreams: [{ host: "127.0.0.1", port: upstream.port }] });
    for (const [name, type] of [
      ["web.cluster.local", "A"],
      ["_http._tcp.web.cluster.local", "SRV"],
      ["web-aaaaa.web.cluster.local", "A"],
      ["example.test", "A"],
    ] as const) {
      const [one, two] = await Promise.all([
        digShort(dns.port, name, type),
        digShort(second.port, name, type),
      ]);
      assert.deepEqual([...one].sort(), [...two].sort(), `${name} ${type}`);
      assert.ok(one.length > 0);
    }
  });

  test("a pod appears within 1 s of running, and disappears within 1 s of turning unready or stopping", async () => {
    const pod = {
      ...runningPod("n1", "web-nnnnn", "web", undefined),
      status: { phase: "Pending" as const, restarts: 0 },
    };
    await putPod(pod);
    assert.deepEqual(await digShort(dns.port, "web-nnnnn.web.cluster.local"), []);
    await putPod(runningPod("n1", "web-nnnnn", "web", "10.88.0.9"));
    let changed = Date.now();
    await eventually(
      async () => assert.deepEqual(await digShort(dns.port, "web-nnnnn.web.cluster.local"), ["10.88.0.9"]),
      1000,
      20,
    );
    assert.ok((await digShort(dns.port, "web.cluster.local")).includes("10.88.0.9"));
    assert.ok(Date.now() - changed < 1000);

    // Unready (a failing health check): out of DNS at once, back when ready again.
    const running = runningPod("n1", "web-nnnnn", "web", "10.88.0.9");
    await putPod({ ...running, status: { ...running.status, ready: false, health: "unhealthy" } });
    changed = Date.now();
    await eventually(
      async () => assert.ok(!(await digShort(dns.port, "web.cluster.local")).includes("10.88.0.9")),
      1000,
      20,
    );
    assert.ok(Date.now() - changed < 1000);
    await putPod(running);
    await eventually(
      async () => assert.ok((await digShort(dns.port, "web.cluster.local")).includes("10.88.0.9")),
      1000,
      20,
    );

    await removePod(store, "n1");
    changed = Date.now();
    await eventually(
      async () => {
        const output = await dig(dns.port, "web-nnnnn.web.cluster.local", "+noall", "+comments");
        assert.equal(status(output), "NXDOMAIN");
        assert.ok(!(await digShort(dns.port, "web.cluster.local")).includes("10.88.0.9"));
      },
      1000,
      20,
    );
    assert.ok(Date.now() - changed < 1000);
  });

  test("the zone file passes named-checkzone and its serial increases with every change", async () => {
    const check = async () => {
      const { stdout } = await run("named-checkzone", ["cluster.local", zoneFile]);
      assert.match(stdout, /OK/);
      const serial = zoneFileSerial(readFileSync(zoneFile, "utf8"));
      assert.ok(serial !== undefined);
      return serial;
    };
    const first = await check();
    assert.match(
      readFileSync(zoneFile, "utf8"),
      /^_http\._tcp\.web\tIN\tSRV\t0 10 8080 web-aaaaa\.web\.cluster\.local\.$/m,
    );

    await putPod(runningPod("z1", "web-zzzzz", "web", "10.88.0.20"));
    const second = await eventually(async () => {
      assert.match(readFileSync(zoneFile, "utf8"), /^web-zzzzz\.web\tIN\tA\t10\.88\.0\.20$/m);
      return check();
    }, 2000);
    assert.ok(second > first, `${second} > ${first}`);

    await removePod(store, "z1");
    const third = await eventually(async () => {
      assert.doesNotMatch(readFileSync(zoneFile, "utf8"), /web-zzzzz/);
      return check();
    }, 2000);
    assert.ok(third > second, `${third} > ${second}`);
    assert.equal((await digShort(dns.port, "cluster.local", "SOA"))[0]?.split(" ")[2], String(third));

    // A restarted writer continues above the serial in the file.
    const other = join(dir, "restart.zone");
    const once = await startDns({ zoneFile: other });
    const before = zoneFileSerial(readFileSync(other, "utf8")) ?? 0;
    await once.stop();
    const again = await startDns({ zoneFile: other });
    assert.ok((zoneFileSerial(readFileSync(other, "utf8")) ?? 0) > before);
    await again.stop();
  });

  test("fuzz: random and truncated packets over UDP and TCP; the server keeps answering", async () => {
    const validQuery = fc
      .record({
        name: fc.constantFrom(
          "web.cluster.local",
          "_http._tcp.web.cluster.local",
          "cluster.local",
          "example.test",
          "nope.cluster.local",
        ),
        type: fc.constantFrom("A", "AAAA", "SRV", "SOA", "NS", "TXT", "ANY") as fc.Arbitrary<"A">,
        edns: fc.boolean(),
      })
      .map(({ name, type, edns }) => queryMessage(name, type, { edns }));
    const packet = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
      // A valid query cut short.
      fc.tuple(validQuery, fc.nat()).map(([query, cut]) => query.subarray(0, cut % query.length)),
      // A valid query with bytes overwritten.
      fc
        .tuple(
          validQuery,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        )
        .map(([query, edits]) => {
          const copy = Buffer.from(query);
          for (const [at, byte] of edits) copy[at % copy.length] = byte;
          return copy;
        }),
      // Oversized.
      fc.integer({ min: 4097, max: 9000 }).map((size) => {
        const big = Buffer.alloc(size, 0x41);
        queryMessage("web.cluster.local").copy(big);
        return big;
      }),
    );

    await fc.assert(
      fc.asyncProperty(packet, async (message) => {
        const answerable = message.length >= 12 && ((message[2] as number) & 0x80) === 0;
        const reply = await udpExchange(dns.port, message, answerable ? 3000 : 50);
        if (answerable) {
          // Every message with a readable header gets an answer (FORMERR at worst) with its id.
          assert.ok(reply, `no reply to ${message.toString("hex")}`);
          assert.equal(reply.readUInt16BE(0), message.readUInt16BE(0));
          assert.ok(((reply[2] as number) & 0x80) !== 0);
        } else {
          assert.equal(reply, undefined);
        }
      }),
      { numRuns: 300 },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 5 }), async (messages) => {
        const framed = messages.filter((message) => message.length <= 65535);
        const answerable = framed.filter(
          (message) => message.length >= 12 && ((message[2] as number) & 0x80) === 0,
        );
        const replies = await tcpExchange(dns.port, framed, {
          expect: answerable.length,
          timeoutMs: answerable.length > 0 ? 3000 : 100,
        });
        assert.equal(replies.length, answerable.length);
      }),
      { numRuns: 60 },
    );

    // A TCP connection that promises a long message and never completes it, and a burst of UDP garbage:
    // neither keeps the server from answering others.
    const stalled = connect({ port: dns.port, host: "127.0.0.1" });
    stalled.on("error", () => undefined);
    stalled.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
    try {
      await Promise.all(Array.from({ length: 50 }, () => udpExchange(dns.port, randomBytes(40), 50)));
      assert.deepEqual((await digShort(dns.port, "web.cluster.local")).sort(), [
        "10.88.0.2",
        "10.88.0.3",
        "10.88.0.4",
      ]);
      assert.deepEqual(await digShort(dns.port, "+tcp", "web-aaaaa.web.cluster.local"), ["10.88.0.2"]);
      assert.deepEqual(await digShort(dns.port, "example.test"), ["192.0.2.1"]);
    } finally {
      stalled.destroy();
    }
  });
});
