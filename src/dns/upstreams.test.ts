import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ValidationError } from "../core/errors.js";
import { parseUpstream, resolvConfNameservers, systemUpstreams, withoutSelf } from "./upstreams.js";

test("parseUpstream takes an address with an optional port", () => {
  assert.deepEqual(parseUpstream("192.0.2.1"), { host: "192.0.2.1", port: 53 });
  assert.deepEqual(parseUpstream("192.0.2.1:5353"), { host: "192.0.2.1", port: 5353 });
  assert.deepEqual(parseUpstream("::1"), { host: "::1", port: 53 });
  assert.deepEqual(parseUpstream("[2001:db8::1]:5353"), { host: "2001:db8::1", port: 5353 });
  for (const bad of ["", "dns.example", "192.0.2.1:0", "192.0.2.1:70000", "192.0.2.1:x", "[::1]x"]) {
    assert.throws(() => parseUpstream(bad), ValidationError, bad);
  }
});

test("resolv.conf nameservers, in order, comments and other lines ignored", () => {
  const text =
    "# generated\nsearch example.com\nnameserver 10.0.0.2\n  nameserver 2001:db8::53\nnameserver bogus\n;nameserver 1.1.1.1\noptions ndots:1\n";
  assert.deepEqual(resolvConfNameservers(text), ["10.0.0.2", "2001:db8::53"]);
  const dir = mkdtempSync(join(tmpdir(), "orchestra-resolv-"));
  try {
    writeFileSync(join(dir, "resolv.conf"), text);
    assert.deepEqual(systemUpstreams(join(dir, "resolv.conf")), [
      { host: "10.0.0.2", port: 53 },
      { host: "2001:db8::53", port: 53 },
    ]);
    assert.deepEqual(systemUpstreams(join(dir, "missing")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("withoutSelf leaves this server out of its own upstreams", () => {
  const upstreams = [
    { host: "10.0.0.1", port: 53 },
    { host: "10.0.0.1", port: 5353 },
    { host: "127.0.0.53", port: 53 },
    { host: "192.0.2.1", port: 53 },
  ];
  assert.deepEqual(withoutSelf(upstreams, { host: "10.0.0.1", port: 53 }), upstreams.slice(1));
  // Listening everywhere on 53: every address of this machine (loopback included) on 53 is this server.
  const own = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === "IPv4" && !address.internal)?.address;
  assert.ok(own, "this machine has a non-loopback IPv4 address");
  const everywhere = withoutSelf([...upstreams, { host: own, port: 53 }], { host: "0.0.0.0", port: 53 });
  assert.deepEqual(everywhere, [
    { host: "10.0.0.1", port: 53 },
    { host: "10.0.0.1", port: 5353 },
    { host: "192.0.2.1", port: 53 },
  ]);
});
