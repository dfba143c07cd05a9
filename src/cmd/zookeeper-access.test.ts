// The --zk-tls-* and --join-zk-tls-* flags: what each combination gives, and the one-line errors for unreadable
// files, half a client pair, a key of another certificate, and TLS flags with an embedded store.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeTestCertificates, type TestCertificates } from "../../test/support/test-certificates.js";
import { openStore } from "./open-store.js";
import { exposureWarnings, joinZooKeeperTls, readZooKeeperAccess } from "./zookeeper-access.js";

let certs: TestCertificates;
let files: { ca: string; cert: string; key: string; caKey: string; notPem: string; openKey: string };

before(async () => {
  certs = await makeTestCertificates();
  const file = (name: string) => join(certs.folder, name);
  writeFileSync(file("not.pem"), "hello\n", { mode: 0o600 });
  writeFileSync(file("open.key"), certs.clientKey, { mode: 0o644 });
  files = {
    ca: certs.caFile,
    cert: file("client.pem"),
    key: file("client.key"),
    caKey: file("ca.key"),
    notPem: file("not.pem"),
    openKey: file("open.key"),
  };
});
after(() => certs?.remove());

describe("readZooKeeperAccess", () => {
  test("no flag: plain TCP without identity; a CA alone: TLS without client certificate", () => {
    assert.deepEqual(readZooKeeperAccess({}), {});
    assert.deepEqual(readZooKeeperAccess({ zkTlsCa: files.ca }), { tls: { ca: certs.ca } });
    assert.deepEqual(readZooKeeperAccess({ zkTlsCa: files.ca, zkTlsCert: files.cert, zkTlsKey: files.key }), {
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    });
  });

  test("each wrong combination or file is one error naming the flag", () => {
    const cases: [Parameters<typeof readZooKeeperAccess>[0], RegExp][] = [
      [{ zkTlsCa: "/nonexistent/ca.pem" }, /^zk-tls-ca: cannot read \/nonexistent\/ca\.pem: ENOENT$/],
      [
        { zkTlsCa: files.ca, zkTlsCert: files.cert },
        /^zk-tls-key: required with --zk-tls-cert: a client certificate and its key go together$/,
      ],
      [{ zkTlsCa: files.ca, zkTlsKey: files.key }, /^zk-tls-cert: required with --zk-tls-key/],
      [
        { zkTlsCert: files.cert, zkTlsKey: files.key },
        /^zk-tls-ca: required with --zk-tls-cert: the CA the ZooKeeper servers' certificates chain to$/,
      ],
      [{ zkTlsCa: files.notPem }, /^zk-tls-ca: .*not\.pem holds no PEM certificate$/],
      [
        { zkTlsCa: files.ca, zkTlsCert: files.cert, zkTlsKey: files.notPem },
        /^zk-tls-key: .*not\.pem holds no PEM private key$/,
      ],
      [
        { zkTlsCa: files.ca, zkTlsCert: files.cert, zkTlsKey: files.openKey },
        /^zk-tls-key: .*open\.key may be read by others than its owner: chmod 600 it$/,
      ],
      [
        { zkTlsCa: files.ca, zkTlsCert: files.cert, zkTlsKey: files.caKey },
        /^zk-tls-key: .*ca\.key is not the key of the certificate in .*client\.pem$/,
      ],
    ];
    for (const [flags, message] of cases) {
      assert.throws(
        () => readZooKeeperAccess(flags),
        { name: "ValidationError", message },
        JSON.stringify(flags),
      );
    }
  });

  test("a join's CA and pair are used unless the worker gives its own; a pair is never mixed", () => {
    const joined = {
      auth: { user: "orchestra", password: "pw" },
      tls: { ca: certs.strangerCa, cert: "joined cert", key: "joined key" },
    };
    assert.deepEqual(
      readZooKeeperAccess({ zkTlsCa: files.ca, zkTlsCert: files.cert, zkTlsKey: files.key }, joined),
      {
        auth: joined.auth,
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
      },
    );
    assert.deepEqual(
      readZooKeeperAccess({ zkTlsCert: files.cert, zkTlsKey: files.key }, { tls: { ca: certs.ca } }),
      { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } },
    );
    assert.throws(() => readZooKeeperAccess({ zkTlsCert: files.cert }, joined), {
      message: /^zk-tls-key: required with --zk-tls-cert/,
    });
    assert.throws(() => readZooKeeperAccess({}, joined), {
      message: /^join: the join answer's zkTlsCert holds no PEM certificate$/,
    });
  });
});

describe("joinZooKeeperTls", () => {
  test("workers get the CA, and a client pair only when one was given for them", () => {
    const own = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    assert.equal(joinZooKeeperTls({}, undefined), undefined);
    assert.deepEqual(joinZooKeeperTls({}, own), { ca: certs.ca });
    assert.deepEqual(
      joinZooKeeperTls({ joinZkTlsCert: files.cert, joinZkTlsKey: files.key }, { ca: certs.ca }),
      own,
    );
    assert.throws(() => joinZooKeeperTls({ joinZkTlsCert: files.cert, joinZkTlsKey: files.key }, undefined), {
      message: /^join-zk-tls-cert: applies only with --zk-tls-ca \(a store on TLS\)$/,
    });
    assert.throws(() => joinZooKeeperTls({ joinZkTlsKey: files.key }, own), {
      message: /^join-zk-tls-cert: required with --join-zk-tls-key/,
    });
  });
});

test("TLS flags with an embedded store are refused before it is opened", async () => {
  for (const [flags, message] of [
    [{ zkTlsCa: files.ca }, /^zk-tls-ca: applies only to a zk:\/\/ store$/],
    [{ zkTlsCert: files.cert, zkTlsKey: files.key }, /^zk-tls-cert: applies only to a zk:\/\/ store$/],
  ] as const) {
    await assert.rejects(openStore(`embedded:${join(certs.folder, "store")}`, { zookeeper: flags }), {
      name: "ValidationError",
      message,
    });
  }
});

test("a store off this machine without auth or TLS is warned about, each once; loopback never", () => {
  const auth = { user: "orchestra", password: "pw" };
  const tls = { ca: "CA" };
  assert.deepEqual(exposureWarnings("127.0.0.1:2181,localhost:2182", {}), []);
  assert.deepEqual(
    exposureWarnings("zk1:2181,127.0.0.1:2181", {}).map((warning) => warning.split(":")[0]),
    [
      "ZooKeeper without --zk-auth-file off this machine",
      "ZooKeeper without TLS (--zk-tls-ca) off this machine",
    ],
  );
  assert.deepEqual(exposureWarnings("zk1:2281", { auth }), [
    "ZooKeeper without TLS (--zk-tls-ca) off this machine: the cluster's state, secrets and store credential cross the network in clear",
  ]);
  assert.deepEqual(exposureWarnings("zk1:2281", { tls }), [
    "ZooKeeper without --zk-auth-file off this machine: any client that reaches it can read and rewrite the cluster",
  ]);
  assert.deepEqual(exposureWarnings("zk1:2281", { auth, tls }), []);
});
