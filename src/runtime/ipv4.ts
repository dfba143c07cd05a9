// IPv4 subnet arithmetic: checking that a pod's IP lies in its network, and handing out addresses in the fake.
import { ValidationError } from "../core/errors.js";

export interface Ipv4Subnet {
  /** First address (the network address) as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  /** Number of addresses, network and broadcast included. */
  size: number;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new ValidationError("ip", `"${ip}" is not an IPv4 address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseSubnet(cidr: string): Ipv4Subnet {
  const [ip, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText ?? "") || prefix > 32) {
    throw new ValidationError("subnet", `"${cidr}" is not an IPv4 CIDR like 10.88.0.0/16`);
  }
  const size = 2 ** (32 - prefix);
  // Normalise 10.88.1.7/16 to its network address.
  const base = Math.floor(ipToNumber(ip) / size) * size;
  return { base, prefix, size };
}

export function subnetContains(cidr: string, ip: string): boolean {
  const subnet = parseSubnet(cidr);
  const n = ipToNumber(ip);
  return n >= subnet.base && n < subnet.base + subnet.size;
}

/** The `index`-th address of the subnet (0 = network address, 1 = usual gateway). */
export function subnetAddress(cidr: string, index: number): string {
  const subnet = parseSubnet(cidr);
  if (index < 0 || index >= subnet.size) {
    throw new ValidationError("subnet", `${cidr} has no address number ${index}`);
  }
  return numberToIp(subnet.base + index);
}
