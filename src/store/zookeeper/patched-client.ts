// The ZooKeeper client is node-zookeeper-client 1.1.3 with patches/node-zookeeper-client+1.1.3.patch, which
// `npm ci` applies (postinstall). The store relies on what the patch adds (see the patch's header); opening a
// ZooKeeper store without it fails at once, naming what it expected, instead of misbehaving later.
import { createRequire } from "node:module";
import * as client from "node-zookeeper-client";

export const CLIENT_VERSION = "1.1.3";
/** The marker the patch adds to the module's exports. */
export const CLIENT_PATCH = "1.1.3+orchestra.1";

/** What is installed: the package's version and the patch marker, if any. */
export interface InstalledClient {
  version: string;
  patch?: string;
}

export function installedClient(): InstalledClient {
  const require = createRequire(import.meta.url);
  const { version } = require("node-zookeeper-client/package.json") as { version: string };
  // Read through the namespace, not a named import: an unpatched module lacks it, and must fail here, not at link.
  const patch = (client as { PATCH?: unknown }).PATCH;
  return typeof patch === "string" ? { version, patch } : { version };
}

/** Why `installed` is not the client this store needs, or undefined when it is. */
export function clientMismatch(installed: InstalledClient): string | undefined {
  if (installed.version === CLIENT_VERSION && installed.patch === CLIENT_PATCH) return undefined;
  const found = `${installed.version}${installed.patch ? ` with patch ${installed.patch}` : " unpatched"}`;
  return (
    `the ZooKeeper store needs node-zookeeper-client ${CLIENT_VERSION} with patch ${CLIENT_PATCH} ` +
    `(patches/node-zookeeper-client+${CLIENT_VERSION}.patch, applied by npm ci); found ${found}`
  );
}

let checked = false;

/** Throws when the installed client is not the patched one. Checked once per process. */
export function assertPatchedClient(): void {
  if (checked) return;
  const mismatch = clientMismatch(installedClient());
  if (mismatch) throw new Error(mismatch);
  checked = true;
}
