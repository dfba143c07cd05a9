// What the pod network needs from the machine's network stack: its routes and addresses, the firewall
// rules of Docker's chains, and nftables tables of Orchestra's own (published ports). host-kernel.ts runs iproute2 and iptables for it; testing/fake-kernel.ts keeps it in memory.

/** A route of the main table, as `ip -j route` shows it. */
export interface KernelRoute {
  /** `10.42.1.0/24`, a single address, or `default`. */
  dst: string;
  gateway?: string;
  dev?: string;
  /** `kernel`, `boot`, `static`, ... or a number. */
  protocol: string;
}

export type FirewallTable = "filter" | "nat";

/** One iptables rule: where it goes and its match and target, as `iptables-save` prints them (after `-A CHAIN`). */
export interface FirewallRule {
  table: FirewallTable;
  chain: string;
  args: readonly string[];
}

export interface NetworkKernel {
  /** The main routing table. */
  routes(): Promise<KernelRoute[]>;
  /** The machine's IPv4 addresses, loopback included. */
  localAddresses(): Promise<string[]>;
  /** Adds the route, or changes the one to `dst` (tagged as Orchestra's: see ROUTE_PROTOCOL). */
  replaceRoute(dst: string, via: string): Promise<void>;
  /** Removes Orchestra's route to `dst`; a missing one is fine. */
  deleteRoute(dst: string): Promise<void>;
  /** Every rule of the table. */
  rules(table: FirewallTable): Promise<FirewallRule[]>;
  /** Puts the rule first in its chain. */
  insertRule(rule: FirewallRule): Promise<void>;
  /** Removes one copy of the rule; a missing one is fine. */
  deleteRule(rule: FirewallRule): Promise<void>;
  /** Creates the chain when missing. */
  ensureChain(table: FirewallTable, chain: string): Promise<void>;
  /** Runs an nftables script (`nft -f`): the kernel applies it whole or not at all. */
  applyNft(script: string): Promise<void>;
  /** The names of the nftables tables of the `ip` family. */
  nftTables(): Promise<string[]>;
  /** A sysctl's value (`net.ipv4.conf.all.route_localnet`), undefined when the kernel has no such key. */
  sysctl(name: string): Promise<string | undefined>;
}
