// Whether this process may program the pod network: routes and firewall rules need CAP_NET_ADMIN (root has it).
import { readFileSync } from "node:fs";

const CAP_NET_ADMIN = 12n;

/** True when the process's effective capabilities include CAP_NET_ADMIN (Linux; false elsewhere). */
export function hasNetAdmin(status = readProcStatus()): boolean {
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (effective === undefined) return false;
  return ((BigInt(`0x${effective}`) >> CAP_NET_ADMIN) & 1n) === 1n;
}

/** The one-line reason a worker cannot run the multi-host data path here, or undefined when it can. */
export function dataPathRefusal(status = readProcStatus(), ipForward = readIpForward()): string | undefined {
  if (!hasNetAdmin(status)) {
    return "the pod network needs root or CAP_NET_ADMIN (to set routes and firewall rules): run the worker as root";
  }
  if (ipForward === "0") {
    return "IP forwarding is off on this machine (net.ipv4.ip_forward=0): the pod network routes between machines; turn it on with sysctl -w net.ipv4.ip_forward=1";
  }
  return undefined;
}

function readProcStatus(): string {
  try {
    return readFileSync("/proc/self/status", "utf8");
  } catch {
    return "";
  }
}

function readIpForward(): string | undefined {
  try {
    return readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
  } catch {
    return undefined;
  }
}
