// Digest authentication to ZooKeeper (`--zk-auth-file`, a `user:password` file): every session authenticates as
// that identity and every znode Orchestra creates carries an ACL for that identity only, so another client
// without the password can neither read nor write Orchestra's tree. Without it znodes are open to anyone.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ACL, Id, Permission } from "node-zookeeper-client";
import { ValidationError } from "../../core/errors.js";

export interface ZooKeeperAuth {
  user: string;
  password: string;
}

/** Reads `user:password` (surrounding white space ignored) from `file`. */
export function readZooKeeperAuthFile(file: string, field = "zk-auth-file"): ZooKeeperAuth {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ValidationError(
      field,
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  return parseZooKeeperAuth(text, `${file}`, field);
}

export function parseZooKeeperAuth(text: string, source: string, field = "zk-auth-file"): ZooKeeperAuth {
  const colon = text.indexOf(":");
  const user = colon < 0 ? "" : text.slice(0, colon);
  const password = colon < 0 ? "" : text.slice(colon + 1);
  if (user === "" || password === "" || /\s/.test(user)) {
    throw new ValidationError(
      field,
      `${source} must hold user:password (a user without spaces, a non-empty password)`,
    );
  }
  return { user, password };
}

/** ZooKeeper's digest id of the identity: `user:base64(sha1("user:password"))`, as its ACLs name it. */
export function digestId(auth: ZooKeeperAuth): string {
  const hash = createHash("sha1").update(`${auth.user}:${auth.password}`, "utf8").digest("base64");
  return `${auth.user}:${hash}`;
}

/** The ACL of every znode Orchestra creates: all rights to the identity only; without auth, open to anyone. */
export function znodeAcls(auth: ZooKeeperAuth | undefined): ACL[] {
  if (!auth) return [new ACL(Permission.ALL, new Id("world", "anyone"))];
  return [new ACL(Permission.ALL, new Id("digest", digestId(auth)))];
}

/** What the client sends to authenticate: scheme `digest`, `user:password`. */
export function authInfo(auth: ZooKeeperAuth): { scheme: string; auth: Buffer } {
  return { scheme: "digest", auth: Buffer.from(`${auth.user}:${auth.password}`, "utf8") };
}

/** True when every server of `connectString` is on this machine (127.0.0.0/8, localhost, ::1). */
export function isLoopbackOnly(connectString: string): boolean {
  return connectString.split(",").every((server) => {
    const host = server.slice(0, server.lastIndexOf(":")).replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  });
}
