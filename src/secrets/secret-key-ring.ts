// The keys secrets are encrypted with at rest: AES-256-GCM (node:crypto), a fresh 96-bit nonce per value, and
// the secret's name, version and key as additional data, so a stored value cannot be moved to another secret.
// The first key encrypts; every key decrypts what it encrypted, so keys can rotate (docs/OPERATIONS.md).
// Each key has an id (the first 16 hex characters of its SHA-256) stored with the data it encrypted.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { OrchestraError } from "../core/errors.js";

export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A secret that cannot be encrypted or decrypted: no key of that id here, or the data was altered. */
export class SecretKeyError extends OrchestraError {
  override name = "SecretKeyError";
}

/** The id a key is known by in the store: not secret (a hash), and the same wherever the key is. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** What a value is bound to: decrypting it as anything else fails. */
export function secretContext(name: string, version: number, key: string): string {
  return `orchestra secret ${name} version ${version} key ${key}`;
}

export class SecretKeyRing {
  private readonly keys: Map<string, Buffer>;
  readonly primaryId: string;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new SecretKeyError("a secrets key file needs at least one key");
    for (const key of keys) {
      if (key.length !== SECRET_KEY_BYTES)
        throw new SecretKeyError(`a secrets key must be ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
    }
    this.keys = new Map(keys.map((key) => [keyIdOf(key), Buffer.from(key)]));
    this.primaryId = keyIdOf(keys[0] as Buffer);
  }

  /** Every key id, the primary first. */
  get ids(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** base64 of nonce, ciphertext and tag, under the primary key. */
  encrypt(plain: Buffer, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.primaryId) as Buffer, nonce);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString("base64");
  }

  /** The plain bytes of what `encrypt` made under key `keyId` with the same context; SecretKeyError otherwise. */
  decrypt(keyId: string, sealed: string, context: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretKeyError(
        `encrypted with key ${keyId}, which this process does not have (its keys: ${this.ids.join(", ")})`,
      );
    }
    const bytes = Buffer.from(sealed, "base64");
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new SecretKeyError("stored value too short to decrypt");
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new SecretKeyError(`cannot decrypt with key ${keyId}: the data or its context was altered`);
    }
  }
}
