// The role tokens' format: minted, parsed, and their secret checked against the kept hash.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mintToken, parseToken, secretHash, secretMatches } from "./api-token.js";

test("a minted token carries its id and a 256-bit secret; only the hash is to be kept", () => {
  const minted = mintToken();
  assert.match(minted.token, /^orc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const parsed = parseToken(minted.token);
  assert.ok(parsed);
  assert.equal(parsed.id, minted.id);
  assert.equal(Buffer.from(parsed.secret, "base64url").length, 32);
  assert.equal(minted.secretSha256, secretHash(parsed.secret));
  assert.ok(!minted.secretSha256.includes(parsed.secret));
  assert.notEqual(mintToken().token, minted.token);
});

test("the secret matches its hash and nothing else", () => {
  const minted = mintToken();
  const parsed = parseToken(minted.token);
  assert.ok(parsed);
  assert.equal(secretMatches(parsed.secret, minted.secretSha256), true);
  assert.equal(
    secretMatches(`${parsed.secret.slice(0, -1)}A`, minted.secretSha256),
    parsed.secret.endsWith("A"),
  );
  assert.equal(secretMatches(parsed.secret, mintToken().secretSha256), false);
  assert.equal(secretMatches(parsed.secret, "abc"), false);
});

test("anything but orc_<16 hex>_<43 base64url> is not a role token", () => {
  const good = mintToken().token;
  for (const bad of [
    "",
    "orc_",
    good.slice(0, -1),
    `${good}x`,
    good.replace("orc_", "ORC_"),
    "a-bootstrap-token",
  ]) {
    assert.equal(parseToken(bad), undefined, bad);
  }
});
