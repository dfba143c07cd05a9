// Picks the address a worker advertises when none is given: the first non-internal IPv4 of the machine.
import { hostname, networkInterfaces } from "node:os";

export function defaultNodeAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      // Docker's own bridges are not how other machines reach this one.
      if (address.family === "IPv4" && !address.internal && !address.address.startsWith("172.17.")) {
        return address.address;
      }
    }
  }
  return "127.0.0.1";
}

/** The machine's host name as a node name: lower-cased, cut to a DNS label. */
export function defaultNodeName(): string {
  const label = hostname()
    .toLowerCase()
    .split(".")[0]
    ?.replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return label || "node";
}
