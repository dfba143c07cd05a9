// Whether a host name or address is the local machine's loopback: what may be served without a token.
import { isIPv4 } from "node:net";

/** Loopback names and addresses only; any other name might resolve to a public address. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped?.[1]?.startsWith("127.") ?? false;
}
