// An in-memory network stack for tests of the pod network without privileges: routes, addresses and the
// rules of the filter and nat tables, changed as iproute2 and iptables would change them; nftables tables as
// the scripts applied left them.
import { sameRule } from "../firewall-plan.js";
import type { FirewallRule, FirewallTable, KernelRoute, NetworkKernel } from "../kernel.js";
import { ROUTE_PROTOCOL } from "../route-plan.js";

export class FakeKernel implements NetworkKernel {
  routeTable: KernelRoute[] = [];
  addresses: string[] = ["127.0.0.1"];
  ruleList: FirewallRule[] = [];
  chains = new Set<string>(["filter/FORWARD", "filter/DOCKER-USER", "nat/POSTROUTING"]);
  /** Every change made, in order: `route replace ...`, `rule -I ...`, ... */
  readonly changes: string[] = [];
  /** Make replaceRoute fail for this destination (a gateway the kernel refuses). */
  failRouteTo?: string;
  /** nftables tables of family ip → the script that made each (the last `table ip NAME {` block's script). */
  nftTableScripts = new Map<string, string>();
  sysctls = new Map<string, string>([["net.ipv4.conf.all.route_localnet", "0"]]);

  async routes(): Promise<KernelRoute[]> {
    return this.routeTable.map((route) => ({ ...route }));
  }

  async localAddresses(): Promise<string[]> {
    return [...this.addresses];
  }

  async replaceRoute(dst: string, via: string): Promise<void> {
    if (dst === this.failRouteTo)
      throw new Error(`ip route replace ${dst} via ${via}: Nexthop has invalid gateway`);
    this.routeTable = this.routeTable.filter((route) => route.dst !== dst);
    this.routeTable.push({ dst, gateway: via, protocol: ROUTE_PROTOCOL });
    this.changes.push(`route replace ${dst} via ${via}`);
  }

  async deleteRoute(dst: string): Promise<void> {
    const before = this.routeTable.length;
    this.routeTable = this.routeTable.filter(
      (route) => !(route.dst === dst && route.protocol === ROUTE_PROTOCOL),
    );
    if (this.routeTable.length !== before) this.changes.push(`route del ${dst}`);
  }

  async rules(table: FirewallTable): Promise<FirewallRule[]> {
    return this.ruleList.filter((rule) => rule.table === table);
  }

  async insertRule(rule: FirewallRule): Promise<void> {
    if (!this.chains.has(`${rule.table}/${rule.chain}`)) throw new Error(`iptables: No chain ${rule.chain}`);
    this.ruleList.unshift(rule);
    this.changes.push(`rule -I ${rule.chain} ${rule.args.join(" ")}`);
  }

  async deleteRule(rule: FirewallRule): Promise<void> {
    const at = this.ruleList.findIndex((candidate) => sameRule(candidate, rule));
    if (at === -1) return;
    this.ruleList.splice(at, 1);
    this.changes.push(`rule -D ${rule.chain} ${rule.args.join(" ")}`);
  }

  async ensureChain(table: FirewallTable, chain: string): Promise<void> {
    this.chains.add(`${table}/${chain}`);
  }

  /** Understands what published-port-ruleset.ts writes: `delete table ip NAME` and `table ip NAME {`. */
  async applyNft(script: string): Promise<void> {
    for (const [, name] of script.matchAll(/^delete table ip (\S+)$/gm))
      this.nftTableScripts.delete(name as string);
    for (const [, name] of script.matchAll(/^table ip (\S+) \{$/gm))
      this.nftTableScripts.set(name as string, script);
    this.changes.push(`nft ${[...script.matchAll(/^(delete )?table ip \S+/gm)].map((m) => m[0]).join("; ")}`);
  }

  async nftTables(): Promise<string[]> {
    return [...this.nftTableScripts.keys()];
  }

  async sysctl(name: string): Promise<string | undefined> {
    return this.sysctls.get(name);
  }
}
