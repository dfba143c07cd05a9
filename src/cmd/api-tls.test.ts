import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { issueClusterCa, issueServerCertificate } from "../tls/certificate-issuer.js";
import { resolveApiTls } from "./api-tls.js";

const dir = mkdtempSync(join(tmpdir(), "orchestra-api-tls-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const NAMES = { dns: ["localhost"], ip: ["127.0.0.1"] };

describe("resolveApiTls", () => {
  test("loopback stays plain HTTP unless TLS is asked for; elsewhere TLS from the data folder", async () => {
    assert.equal(await resolveApiTls("127.0.0.1", dir, {}), undefined);
    assert.equal(await resolveApiTls("localhost", dir, { tls: false }), undefined);
    const off = await resolveApiTls("0.0.0.0", dir, {});
    assert.equal(off?.caFile, join(dir, "tls", "ca.pem"));
    const asked = await resolveApiTls("127.0.0.1", dir, { tls: true });
    assert.equal(asked?.ca, off?.ca);
    assert.equal((await resolveApiTls("127.0.0.1", dir, { tlsSan: ["api.example"] }))?.ca, off?.ca);
  });

  test("plain HTTP asked for off loopback is one clear refusal", async () => {
    await assert.rejects(resolveApiTls("0.0.0.0", dir, { tls: false }), {
      message:
        "no-tls: plain HTTP is refused on 0.0.0.0, which is not a loopback address; drop --no-tls or bind 127.0.0.1",
    });
    await assert.rejects(
      resolveApiTls("127.0.0.1", dir, { tls: false, tlsSan: ["x"] }),
      /^ValidationError: no-tls: cannot be given with/,
    );
  });

  test("the operator's certificate and key, checked to be a pair", async () => {
    const ca = await issueClusterCa(Date.now());
    const server = await issueServerCertificate(ca, NAMES, Date.now());
    const other = await issueServerCertificate(ca, NAMES, Date.now());
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text, { mode: 0o600 });
      return join(dir, name);
    };
    const cert = write("own.pem", server.cert);
    const key = write("own.key", server.key);
    const own = await resolveApiTls("0.0.0.0", dir, { tlsCert: cert, tlsKey: key });
    assert.deepEqual(own, { cert: server.cert, key: server.key, notes: [] });
    await assert.rejects(
      resolveApiTls("0.0.0.0", dir, { tlsCert: cert }),
      /^ValidationError: tls-key: give --tls-cert and --tls-key together$/,
    );
    await assert.rejects(
      resolveApiTls("0.0.0.0", dir, { tlsCert: cert, tlsKey: write("other.key", other.key) }),
      /tls-key: .*other\.key and .*own\.pem are not a key and its certificate/,
    );
    await assert.rejects(
      resolveApiTls("0.0.0.0", dir, { tlsCert: join(dir, "missing.pem"), tlsKey: key }),
      /tls-cert: cannot read .*missing\.pem: ENOENT/,
    );
    chmodSync(key, 0o640);
    await assert.rejects(
      resolveApiTls("0.0.0.0", dir, { tlsCert: cert, tlsKey: key }),
      /may be read by others than its owner/,
    );
  });
});
