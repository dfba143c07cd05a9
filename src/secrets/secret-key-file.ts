// The secrets key file (`--secrets-key-file`): one key per line, base64 of 32 random bytes (`openssl rand
// -base64 32`); blank lines and lines starting with '#' are skipped. The first key encrypts, the others only
// decrypt (kept during a rotation). `orchestra up` makes one in its data folder, mode 0600.

import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { ValidationError } from "../core/errors.js";
import { SECRET_KEY_BYTES, SecretKeyRing } from "./secret-key-ring.js";

/** The keys in `text`; a line that is not a key is an error naming the file and line. */
export function parseKeyFile(text: string, source: string): SecretKeyRing {
  const keys: Buffer[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const key = Buffer.from(line, "base64");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(line) || key.length !== SECRET_KEY_BYTES) {
      throw new ValidationError(
        "secrets-key-file",
        `${source} line ${i + 1} is not a key: expected base64 of ${SECRET_KEY_BYTES} bytes (openssl rand -base64 32)`,
      );
    }
    keys.push(key);
  });
  if (keys.length === 0) throw new ValidationError("secrets-key-file", `${source} holds no key`);
  return new SecretKeyRing(keys);
}

/** Reads the key file; refuses one that others than its owner may read (as ssh does with private keys). */
export function readKeyFile(path: string): SecretKeyRing {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new ValidationError(
        "secrets-key-file",
        `${path} may be read by others than its owner: chmod 600 it`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError("secrets-key-file", `cannot read ${path}: ${(err as Error).message}`);
  }
  return parseKeyFile(text, path);
}

/** The key file at `path`, made with one new key (mode 0600) when there is none yet. */
export function ensureKeyFile(path: string): SecretKeyRing {
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(
        fd,
        `# Orchestra secrets key (AES-256-GCM). Keep it; without it no secret can be read.\n${randomBytes(SECRET_KEY_BYTES).toString("base64")}\n`,
      );
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readKeyFile(path);
}
