// A secret's data as stored (`/secretdata/<name>/<version>`): each value sealed on its own under the key
// ring's primary key, bound to the secret's name, version and key. Only API servers seal; workers open.
import type { SecretData } from "../core/types.js";
import { type SecretKeyRing, secretContext } from "./secret-key-ring.js";

/** `data` (key → base64) sealed for version `version` of secret `name`. */
export function sealSecretData(
  ring: SecretKeyRing,
  name: string,
  version: number,
  data: Record<string, string>,
): SecretData {
  const sealed: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    sealed[key] = ring.encrypt(Buffer.from(value, "base64"), secretContext(name, version, key));
  }
  return { keyId: ring.primaryId, data: sealed };
}

/** The plain bytes of every key; SecretKeyError when a key is missing here or a value was altered. */
export function openSecretData(
  ring: SecretKeyRing,
  name: string,
  version: number,
  stored: SecretData,
): Record<string, Buffer> {
  const plain: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(stored.data)) {
    plain[key] = ring.decrypt(stored.keyId, value, secretContext(name, version, key));
  }
  return plain;
}
