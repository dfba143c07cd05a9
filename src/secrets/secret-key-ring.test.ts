// Secrets at rest: AES-256-GCM round trips under the right key and context only; the key file's format,
// mode and rotation (an old key still decrypts, the first one encrypts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ValidationError } from "../core/errors.js";
import { openSecretData, sealSecretData } from "./secret-data.js";
import { ensureKeyFile, parseKeyFile, readKeyFile } from "./secret-key-file.js";
import { keyIdOf, SecretKeyError, SecretKeyRing } from "./secret-key-ring.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const data = { password: Buffer.from("s3cret-value").toString("base64"), "tls.key": "AAEC/w==" };

describe("sealing and opening a secret's data", () => {
  test("round trip under the same key; nothing of the plain text in the sealed form", () => {
    const ring = new SecretKeyRing([keyA]);
    const sealed = sealSecretData(ring, "db", 3, data);
    assert.equal(sealed.keyId, keyIdOf(keyA));
    assert.deepEqual(Object.keys(sealed.data), ["password", "tls.key"]);
    assert.ok(!JSON.stringify(sealed).includes("s3cret"));
    assert.ok(!JSON.stringify(sealed).includes(data.password));
    const opened = openSecretData(ring, "db", 3, sealed);
    assert.equal(opened.password?.toString(), "s3cret-value");
    assert.deepEqual([...(opened["tls.key"] ?? [])], [0, 1, 2, 255]);
    // A fresh nonce each time: the same value never seals the same way twice.
    assert.notEqual(sealSecretData(ring, "db", 3, data).data.password, sealed.data.password);
  });

  test("a wrong key fails, whether unknown or of the same id", () => {
    const sealed = sealSecretData(new SecretKeyRing([keyA]), "db", 1, data);
    assert.throws(
      () => openSecretData(new SecretKeyRing([keyB]), "db", 1, sealed),
      (e: unknown) => {
        assert.ok(e instanceof SecretKeyError);
        assert.match(
          e.message,
          new RegExp(`encrypted with key ${keyIdOf(keyA)}, which this process does not have`),
        );
        return true;
      },
    );
    const forged = { ...sealed, keyId: keyIdOf(keyB) };
    assert.throws(() => openSecretData(new SecretKeyRing([keyB]), "db", 1, forged), /cannot decrypt/);
  });

  test("a value moved to another secret, version or key, or altered, fails", () => {
    const ring = new SecretKeyRing([keyA]);
    const sealed = sealSecretData(ring, "db", 1, data);
    assert.throws(() => openSecretData(ring, "other", 1, sealed), SecretKeyError);
    assert.throws(() => openSecretData(ring, "db", 2, sealed), SecretKeyError);
    const swapped = { ...sealed, data: { password: sealed.data["tls.key"] as string } };
    assert.throws(() => openSecretData(ring, "db", 1, swapped), SecretKeyError);
    const bytes = Buffer.from(sealed.data.password as string, "base64");
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    const altered = { ...sealed, data: { password: bytes.toString("base64") } };
    assert.throws(() => openSecretData(ring, "db", 1, altered), /altered/);
  });

  test("rotation: the first key encrypts, an older one still decrypts", () => {
    const old = sealSecretData(new SecretKeyRing([keyA]), "db", 1, data);
    const rotated = new SecretKeyRing([keyB, keyA]);
    assert.equal(rotated.primaryId, keyIdOf(keyB));
    assert.deepEqual(rotated.ids, [keyIdOf(keyB), keyIdOf(keyA)]);
    assert.equal(openSecretData(rotated, "db", 1, old).password?.toString(), "s3cret-value");
    assert.equal(sealSecretData(rotated, "db", 1, data).keyId, keyIdOf(keyB));
  });
});

describe("the key file", () => {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-keys-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("one key per line, comments and blank lines skipped, the first one primary", () => {
    const ring = parseKeyFile(
      `# new\n${keyB.toString("base64")}\n\n# old\n${keyA.toString("base64")}\n`,
      "f",
    );
    assert.deepEqual(ring.ids, [keyIdOf(keyB), keyIdOf(keyA)]);
  });

  test("a line that is not a 32-byte base64 key is refused with its line number", () => {
    for (const bad of ["hello world", randomBytes(16).toString("base64"), ""]) {
      assert.throws(
        () => parseKeyFile(`# key\n${bad}\n`, "/etc/orchestra/key"),
        (e: unknown) => e instanceof ValidationError && /line 2 is not a key|holds no key/.test(e.message),
      );
    }
  });

  test("up makes one, mode 0600, and keeps it across starts; a file others may read is refused", () => {
    const path = join(dir, "secrets.key");
    const first = ensureKeyFile(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(ensureKeyFile(path).primaryId, first.primaryId);
    assert.match(readFileSync(path, "utf8"), /^# Orchestra secrets key/);
    const open = join(dir, "open.key");
    writeFileSync(open, `${keyA.toString("base64")}\n`);
    chmodSync(open, 0o644);
    assert.throws(() => readKeyFile(open), /may be read by others than its owner: chmod 600 it/);
    chmodSync(open, 0o600);
    assert.equal(readKeyFile(open).primaryId, keyIdOf(keyA));
  });
});
