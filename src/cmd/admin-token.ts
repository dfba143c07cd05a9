// The admin token `orchestra up` makes when its API must have one (off loopback) and none was given: 32 random
// bytes, base64url, in `<data dir>/admin-token` (mode 0600), reused on later starts.
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { readToken } from "./token.js";

export function adminTokenFile(dataDir: string): string {
  return join(dataDir, "admin-token");
}

/** The token in the data folder's admin-token file, made first when there is none. */
export function ensureAdminToken(dataDir: string): string {
  const path = adminTokenFile(dataDir);
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString("base64url")}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const token = readToken(path, {});
  if (token === undefined) throw new Error(`${path} holds no token`);
  return token;
}
