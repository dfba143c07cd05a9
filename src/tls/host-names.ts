// The names a server certificate must carry: this host's names and addresses, the bound address, and the
// operator's `--tls-san` values. Pure apart from reading the host's name and interfaces (injectable).

import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { ValidationError } from "../core/errors.js";

export interface SubjectNames {
  /** DNS names, lower case, first is the certificate's common name. */
  dns: string[];
  /** IP addresses (v4 and v6). */
  ip: string[];
}

export interface HostFacts {
  hostname: string;
  /** Every address of every interface, as os.networkInterfaces() gives them, with the interface's name. */
  addresses: { address: string; interface: string }[];
}

export function currentHost(): HostFacts {
  return {
    hostname: hostname(),
    addresses: Object.entries(networkInterfaces()).flatMap(([name, list]) =>
      (list ?? []).map(({ address }) => ({ address, interface: name })),
    ),
  };
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** One `--tls-san` value: an IP address or a DNS name (a leading `*.` allowed). */
export function parseSan(text: string): { type: "dns" | "ip"; value: string } {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) return { type: "ip", value: bare };
  const name = bare.toLowerCase().replace(/\.$/, "");
  if (name.length > 253 || !DNS_NAME.test(name)) {
    throw new ValidationError("tls-san", `expected an IP address or a DNS name, got "${text}"`);
  }
  return { type: "dns", value: name };
}

const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", ""]);
/**
 * Container bridges (Docker's, its veths, libvirt's): no client reaches the API there, and the pod networks
 * `up` makes would otherwise change the certificate's names from one start to the next.
 */
const CONTAINER_INTERFACES = /^(docker|br-|veth|virbr)/;

/**
 * What the certificate covers: `localhost`, the host's name, every interface address (link-local IPv6 ones
 * aside: they need a zone a certificate cannot carry; container bridges aside), the bound host when it is a
 * specific one, and `extra`.
 */
export function subjectNames(
  bindHost: string,
  extra: string[],
  host: HostFacts = currentHost(),
): SubjectNames {
  const dns = new Set<string>();
  const ip = new Set<string>(["127.0.0.1", "::1"]);
  const add = (text: string) => {
    const san = parseSan(text);
    (san.type === "dns" ? dns : ip).add(san.value);
  };
  // A host name that is not a valid DNS name (an underscore, say) cannot be a SAN; its addresses still are.
  if (host.hostname !== "" && DNS_NAME.test(host.hostname.toLowerCase())) add(host.hostname);
  dns.add("localhost");
  for (const { address, interface: name } of host.addresses) {
    if (!address.toLowerCase().startsWith("fe80:") && !CONTAINER_INTERFACES.test(name)) ip.add(address);
  }
  if (!WILDCARD_ADDRESSES.has(bindHost)) add(bindHost);
  for (const text of extra) add(text);
  return { dns: [...dns], ip: [...ip] };
}
