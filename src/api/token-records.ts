// API tokens in the store: made (the secret returned once), listed, revoked (deleted: a revoked token is an
// unknown one), and looked up for each request that presents one.
import type { Static } from "typebox";
import { mintToken, parseToken, secretMatches, type TokenRole } from "../core/api-token.js";
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import {
  MAX_TOKENS,
  type StoredToken as StoredTokenSchema,
  type TokenCreate,
  type TokenCreated,
  type TokenInfo as TokenInfoSchema,
} from "../core/schemas/token.js";
import { keys } from "../store/keys.js";
import type { ApiStore } from "./deadline-store.js";

export type StoredToken = Static<typeof StoredTokenSchema>;
export type TokenInfo = Static<typeof TokenInfoSchema>;

/** Makes a token; its secret is in the answer only. Refused (409) past MAX_TOKENS. */
export async function createToken(
  store: ApiStore,
  input: Static<typeof TokenCreate>,
  clock: Clock,
): Promise<Static<typeof TokenCreated>> {
  if ((await store.count(keys.tokens)) >= MAX_TOKENS) {
    throw new ConflictError(
      `tokens: at most ${MAX_TOKENS}; revoke unused ones first (orchestra token revoke ID)`,
    );
  }
  const minted = mintToken();
  const now = clock.now();
  const record: StoredToken = {
    id: minted.id,
    role: input.role,
    ...(input.description === undefined ? {} : { description: input.description }),
    createdAt: new Date(now).toISOString(),
    ...(input.ttlSeconds === undefined
      ? {}
      : { expiresAt: new Date(now + input.ttlSeconds * 1000).toISOString() }),
    secretSha256: minted.secretSha256,
  };
  // 64 random bits: a collision fails the create (409) rather than overwrite another token.
  await store.create(keys.token(minted.id), record);
  return { ...infoOf(record, now), token: minted.token };
}

export async function listTokens(store: ApiStore, clock: Clock): Promise<TokenInfo[]> {
  const now = clock.now();
  return (await store.list<StoredToken>(keys.tokens)).map((entry) => infoOf(entry.value, now));
}

/** Deletes the token's record: from then on it answers 401. */
export async function revokeToken(store: ApiStore, id: string, clock: Clock): Promise<TokenInfo> {
  const entry = await store.get<StoredToken>(keys.token(id));
  if (!entry) throw new NotFoundError(`token ${id} not found`);
  await store.delete(keys.token(id), entry.version);
  return infoOf(entry.value, clock.now());
}

/** Why a presented role token is not accepted, or what it may do. */
export type TokenCheck =
  | { valid: true; id: string; role: TokenRole }
  | { valid: false; id?: string; reason: string };

/** Checks a presented `orc_<id>_<secret>` against its record: unknown, revoked or expired tokens are not valid. */
export async function checkRoleToken(store: ApiStore, presented: string, now: number): Promise<TokenCheck> {
  const parsed = parseToken(presented);
  if (!parsed) return { valid: false, reason: "the bearer token is not valid" };
  const entry = await store.get<StoredToken>(keys.token(parsed.id));
  // Unknown and revoked look the same: the record is gone. The secret is hashed either way, so the answer's
  // time does not tell a caller whether the id exists.
  const matches = secretMatches(parsed.secret, entry?.value.secretSha256 ?? "0".repeat(64));
  if (!entry || !matches) return { valid: false, id: parsed.id, reason: "the bearer token is not valid" };
  const token = entry.value;
  if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now) {
    return { valid: false, id: parsed.id, reason: `the bearer token expired at ${token.expiresAt}` };
  }
  return { valid: true, id: parsed.id, role: token.role };
}

function infoOf(token: StoredToken, now: number): TokenInfo {
  const { secretSha256: _hash, ...info } = token;
  return { ...info, expired: token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now };
}
