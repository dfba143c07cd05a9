// Where names outside the cluster zone are forwarded: `ip[:port]` from flags, or the host's resolv.conf,
// never this server itself (that would loop).
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { ValidationError } from "../core/errors.js";

export interface Upstream {
  host: string;
  port: number;
}

export const DNS_PORT = 53;

/** `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`. */
export function parseUpstream(text: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let port: string | undefined;
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2];
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    port = colon < 0 ? undefined : text.slice(colon + 1);
  }
  const portNumber = port === undefined ? DNS_PORT : Number(port);
  if (isIP(host) === 0 || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    throw new ValidationError("upstream", `expected an IP address with an optional :port, got "${text}"`);
  }
  return { host, port: portNumber };
}

/** The `nameserver` addresses of a resolv.conf text, in order. */
export function resolvConfNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    // A zone index (`fe80::1%eth0`) cannot be used from here.
    const address = match?.[1];
    if (address && isIP(address) !== 0) servers.push(address);
  }
  return servers;
}

/** The host's resolvers from `path` (none when it cannot be read). */
export function systemUpstreams(path = "/etc/resolv.conf"): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return resolvConfNameservers(text).map((host) => ({ host, port: DNS_PORT }));
}

/**
 * Drops upstreams that are this server: the same address and port, or, when it listens on every
 * address, any address of this machine on its port.
 */
export function withoutSelf(upstreams: Upstream[], self: Upstream): Upstream[] {
  const wildcard = self.host === "0.0.0.0" || self.host === "::";
  const local = wildcard ? localAddresses() : new Set([self.host]);
  const isSelf = (host: string) => local.has(host) || (wildcard && host.startsWith("127."));
  return upstreams.filter((upstream) => upstream.port !== self.port || !isSelf(upstream.host));
}

function localAddresses(): Set<string> {
  const addresses = new Set(["127.0.0.1", "::1", "0.0.0.0", "::"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) addresses.add(address.address);
  }
  return addresses;
}
