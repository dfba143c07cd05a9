// How a lab is named and addressed: everything it makes on the machine carries its name, so that `lab down`
// finds it even without its state file. Pure.
import { ValidationError } from "../core/errors.js";
import type { KernelRoute } from "../network/kernel.js";
import { cidrsOverlap } from "../network/pod-cidr.js";

export const DEFAULT_LAB_NAME = "lab";
/** Where labs keep their engines' data, logs and state: `<root>/<name>/`. */
export const DEFAULT_LAB_ROOT = "/var/lib/orchestra-lab";
/**
 * The hosts' bridge: a /24 of 10.250.0.0/16 per lab. Private, clear of the default pod CIDR (10.42.0.0/16),
 * Docker's default pools (172.17-31.0.0/16, 192.168.0.0/16) and the test runs' pod CIDRs (10.64.0.0/10).
 */
export const LAB_RANGE_PREFIX = "10.250";
export const MAX_HOSTS = 200;
/** Every namespace and interface of a lab starts so. */
export const LAB_PREFIX = "olab-";
/** Set in the environment of every process a lab starts, so that `lab down` finds them all. */
export const LAB_ENV = "ORCHESTRA_LAB";

// The root namespace's end of the lab's bridge is `olab-<name>`, and interface names have 15 characters at most.
const NAME = /^[a-z][a-z0-9]{0,9}$/;

export function parseLabName(text: string): string {
  if (!NAME.test(text)) {
    throw new ValidationError(
      "name",
      `"${text}" must be 1 to 10 lowercase letters and digits, starting with a letter`,
    );
  }
  return text;
}

export function parseHostCount(text: string): number {
  const hosts = Number(text);
  if (!/^\d+$/.test(text) || hosts < 1 || hosts > MAX_HOSTS) {
    throw new ValidationError("hosts", `must be a whole number from 1 to ${MAX_HOSTS}, got "${text}"`);
  }
  return hosts;
}

/** The names a lab's things carry on the machine. */
export function labNames(name: string) {
  return {
    /** The namespace that holds the bridge joining the hosts (and the root namespace). */
    hub: `${LAB_PREFIX}${name}-hub`,
    /** The root namespace's interface on the bridge. */
    rootLink: `${LAB_PREFIX}${name}`,
    /** Namespaces of hosts: `olab-<name>-h1`, ... */
    host: (index: number) => `${LAB_PREFIX}${name}-h${index}`,
  };
}

export function hostName(index: number): string {
  return `h${index}`;
}

/** The index of a host from its name (`h3` → 3). */
export function hostIndex(host: string): number {
  const index = Number(/^h(\d+)$/.exec(host)?.[1]);
  if (!Number.isInteger(index) || index < 1)
    throw new ValidationError("host", `"${host}" is not a lab host (h1, h2, ...)`);
  return index;
}

export function netnsPath(netns: string): string {
  return `/run/netns/${netns}`;
}

/** The lab's /24: the lowest of 10.250.0.0/16 that no route of the machine touches. */
export function pickLabSubnet(routes: readonly KernelRoute[]): string {
  for (let third = 0; third < 256; third++) {
    const subnet = `${LAB_RANGE_PREFIX}.${third}.0/24`;
    const taken = routes.some(
      (route) => route.dst !== "default" && cidrsOverlap(subnet, withPrefix(route.dst)),
    );
    if (!taken) return subnet;
  }
  throw new Error(
    `every /24 of ${LAB_RANGE_PREFIX}.0.0/16 is in use on this machine: remove old labs with orchestra lab down`,
  );
}

/** The root namespace's address on the lab's bridge: `.1`. */
export function rootAddress(subnet: string): string {
  return `${subnet.split(".").slice(0, 3).join(".")}.1`;
}

/** Host `index`'s address: `.10 + index` (h1 is .11). */
export function hostAddress(subnet: string, index: number): string {
  return `${subnet.split(".").slice(0, 3).join(".")}.${10 + index}`;
}

function withPrefix(dst: string): string {
  return dst.includes("/") ? dst : `${dst}/32`;
}
