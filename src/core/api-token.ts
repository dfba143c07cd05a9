// The format of the API's role tokens: `orc_<id>_<secret>`. The id (public) finds the token's record in the
// store in one read; the secret (32 random bytes) is checked against the hash kept there.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type TokenRole = "admin" | "deployer" | "viewer" | "node";

export const TOKEN_ROLES: readonly TokenRole[] = ["admin", "deployer", "viewer", "node"];

const TOKEN = /^orc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  id: string;
  /** The whole token, `orc_<id>_<secret>`: handed to the user once, never stored. */
  token: string;
  /** What the store keeps instead of the secret. */
  secretSha256: string;
}

export function mintToken(): MintedToken {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `orc_${id}_${secret}`, secretSha256: secretHash(secret) };
}

/** The id and secret of a role token, or undefined for anything else (e.g. an operator's bootstrap token). */
export function parseToken(text: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(text);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined;
}

/**
 * SHA-256, unsalted and fast, is right here, unlike for passwords: the secret is 256 random bits, so there is
 * no dictionary to try and a brute force of the hash is as hopeless as one of the secret itself. A slow hash
 * (bcrypt, scrypt) would only cost every API request its time, and hand a flood of requests a CPU to burn.
 */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Whether `secret` hashes to `expectedSha256`, in time that does not depend on where they differ. */
export function secretMatches(secret: string, expectedSha256: string): boolean {
  const actual = Buffer.from(secretHash(secret), "hex");
  const expected = Buffer.from(expectedSha256, "hex");
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
