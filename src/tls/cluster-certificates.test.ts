import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ensureClusterCertificates, RENEW_BEFORE_MS } from "./cluster-certificates.js";
import { type HostFacts, subjectNames } from "./host-names.js";

const HOST: HostFacts = {
  hostname: "box1",
  addresses: [
    { address: "127.0.0.1", interface: "lo" },
    { address: "192.0.2.10", interface: "eth0" },
    { address: "fe80::1", interface: "eth0" },
    { address: "172.17.0.1", interface: "docker0" },
    { address: "10.42.0.1", interface: "br-5e1f00c0ffee" },
  ],
};
const NOW = Date.parse("2026-11-30T10:00:00Z");
const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-tls-"));
  folders.push(dir);
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("subjectNames", () => {
  test("the host's name and addresses, loopback, the bound address and --tls-san values", () => {
    const names = subjectNames("192.0.2.99", ["api.example.com", "[2001:db8::5]", "API2.Example.com."], HOST);
    assert.deepEqual(names.dns, ["box1", "localhost", "api.example.com", "api2.example.com"]);
    assert.deepEqual(names.ip, ["127.0.0.1", "::1", "192.0.2.10", "192.0.2.99", "2001:db8::5"]);
  });

  test("a wildcard bind adds nothing; a value that is neither a name nor an address is refused", () => {
    assert.deepEqual(subjectNames("0.0.0.0", [], HOST).ip, ["127.0.0.1", "::1", "192.0.2.10"]);
    assert.throws(
      () => subjectNames("0.0.0.0", ["not a name"], HOST),
      /tls-san: expected an IP address or a DNS name, got "not a name"/,
    );
  });
});

describe("ensureClusterCertificates", () => {
  test("makes a CA and a server certificate it signed, keys mode 0600, for every name", async () => {
    const dir = dataDir();
    const made = await ensureClusterCertificates(
      dir,
      subjectNames("0.0.0.0", ["api.example.com"], HOST),
      NOW,
    );
    assert.deepEqual(made.notes, [
      `made a new cluster CA in ${join(dir, "tls", "ca.pem")}`,
      "made a new server certificate",
    ]);
    assert.equal(mode(join(dir, "tls", "ca.key")), 0o600);
    assert.equal(mode(made.keyFile), 0o600);
    assert.equal(mode(join(dir, "tls")), 0o700);
    const ca = new X509Certificate(readFileSync(made.caFile));
    const cert = new X509Certificate(readFileSync(made.certFile));
    assert.equal(ca.ca, true);
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), "signed by the CA");
    assert.ok(cert.checkPrivateKey(createPrivateKey(made.key)));
    for (const ip of ["127.0.0.1", "::1", "192.0.2.10"]) assert.equal(cert.checkIP(ip), ip);
    for (const host of ["box1", "localhost", "api.example.com"]) assert.equal(cert.checkHost(host), host);
    assert.equal(cert.checkIP("192.0.2.11"), undefined);
  });

  test("reuses both on a later start with the same names", async () => {
    const dir = dataDir();
    const names = subjectNames("0.0.0.0", [], HOST);
    const first = await ensureClusterCertificates(dir, names, NOW);
    const second = await ensureClusterCertificates(dir, names, NOW + 1000);
    assert.deepEqual(second.notes, []);
    assert.equal(second.cert, first.cert);
    assert.equal(second.ca, first.ca);
  });

  test("a new server certificate, from the same CA, when a name is no longer covered", async () => {
    const dir = dataDir();
    const first = await ensureClusterCertificates(dir, subjectNames("0.0.0.0", [], HOST), NOW);
    const moved = { ...HOST, addresses: [...HOST.addresses, { address: "198.51.100.7", interface: "eth1" }] };
    const second = await ensureClusterCertificates(
      dir,
      subjectNames("0.0.0.0", ["extra.example"], moved),
      NOW,
    );
    assert.deepEqual(second.notes, [
      "made a new server certificate: the old one did not cover 198.51.100.7, extra.example",
    ]);
    assert.equal(second.ca, first.ca);
    assert.notEqual(second.cert, first.cert);
    assert.equal(new X509Certificate(second.cert).checkIP("198.51.100.7"), "198.51.100.7");
  });

  test("a new server certificate when it nears its end or is gone; a new CA only when the CA's files are", async () => {
    const dir = dataDir();
    const names = subjectNames("0.0.0.0", [], HOST);
    const first = await ensureClusterCertificates(dir, names, NOW);
    const end = Date.parse(new X509Certificate(first.cert).validTo);
    const late = await ensureClusterCertificates(dir, names, end - RENEW_BEFORE_MS + 1000);
    assert.match(late.notes.join("\n"), /^made a new server certificate: the old one expires on \d{4}-/);
    unlinkSync(late.certFile);
    const gone = await ensureClusterCertificates(dir, names, NOW);
    assert.deepEqual(gone.notes, ["made a new server certificate"]);
    unlinkSync(join(dir, "tls", "ca.key"));
    const newCa = await ensureClusterCertificates(dir, names, NOW);
    assert.deepEqual(newCa.notes, [
      `made a new cluster CA in ${newCa.caFile}`,
      "made a new server certificate: the old one was not signed by the cluster CA",
    ]);
    assert.notEqual(newCa.ca, first.ca);
  });

  test("refuses a key others may read", async () => {
    const dir = dataDir();
    const made = await ensureClusterCertificates(dir, subjectNames("0.0.0.0", [], HOST), NOW);
    chmodSync(made.keyFile, 0o644);
    await assert.rejects(
      ensureClusterCertificates(dir, subjectNames("0.0.0.0", [], HOST), NOW),
      new RegExp(`tls-key: ${made.keyFile} may be read by others than its owner: chmod 600 it`),
    );
  });
});
