// The cluster's pod address plan: one IPv4 CIDR (default 10.42.0.0/16) cut into one /24 per node.
import { ValidationError } from "../core/errors.js";
import { ipToNumber, numberToIp, parseSubnet } from "../runtime/ipv4.js";

export const DEFAULT_POD_CIDR = "10.42.0.0/16";
/** Every node gets a /24: 253 pod addresses, and the third octet says which node a pod runs on. */
export const NODE_SUBNET_PREFIX = 24;
/** A shorter prefix than /8 would hand out more than 65,536 subnets: more than any cluster needs. */
const SHORTEST_PREFIX = 8;

/** `--pod-cidr`: an IPv4 network from /8 to /24, written as its network address (`10.42.0.0/16`). */
export function parsePodCidr(text: string, field = "pod-cidr"): string {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match) throw new ValidationError(field, `"${text}" is not an IPv4 CIDR like ${DEFAULT_POD_CIDR}`);
  const prefix = Number(match[2]);
  if (prefix < SHORTEST_PREFIX || prefix > NODE_SUBNET_PREFIX) {
    throw new ValidationError(
      field,
      `"${text}" must have a prefix from /${SHORTEST_PREFIX} to /${NODE_SUBNET_PREFIX} (each node takes a /${NODE_SUBNET_PREFIX})`,
    );
  }
  let address: number;
  try {
    address = ipToNumber(match[1] as string);
  } catch {
    throw new ValidationError(field, `"${text}" is not an IPv4 CIDR like ${DEFAULT_POD_CIDR}`);
  }
  const normal = `${numberToIp(parseSubnet(text).base)}/${prefix}`;
  if (numberToIp(address) !== normal.split("/")[0]) {
    throw new ValidationError(field, `"${text}" is not a network address: did you mean ${normal}?`);
  }
  return normal;
}

/** How many node subnets the CIDR holds. */
export function nodeSubnetCount(podCidr: string): number {
  return 2 ** (NODE_SUBNET_PREFIX - parseSubnet(podCidr).prefix);
}

/** The `index`-th /24 of the CIDR. */
export function nodeSubnetAt(podCidr: string, index: number): string {
  const base = parseSubnet(podCidr).base;
  return `${numberToIp(base + index * 2 ** (32 - NODE_SUBNET_PREFIX))}/${NODE_SUBNET_PREFIX}`;
}

/** True when one CIDR contains the other (IPv4 networks either nest or are disjoint). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseSubnet(a);
  const y = parseSubnet(b);
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

/** True when `inner` lies wholly inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const x = parseSubnet(outer);
  const y = parseSubnet(inner);
  return y.base >= x.base && y.base + y.size <= x.base + x.size;
}

/** A subnet as a store key segment: `10.42.3.0/24` → `10.42.3.0-24` (a key segment has no `/`). */
export function subnetKeyName(subnet: string): string {
  return subnet.replace("/", "-");
}

/** The inverse of subnetKeyName. */
export function subnetFromKeyName(keyName: string): string {
  return keyName.replace(/-(\d+)$/, "/$1");
}

/** The lowest /24 of the CIDR that is not taken, or undefined when the CIDR is full. */
export function firstFreeSubnet(podCidr: string, taken: Iterable<string>): string | undefined {
  const used = new Set(taken);
  const count = nodeSubnetCount(podCidr);
  for (let index = 0; index < count; index++) {
    const subnet = nodeSubnetAt(podCidr, index);
    if (!used.has(subnet)) return subnet;
  }
  return undefined;
}
