// The machine's network stack through its own tools: iproute2 (`ip`) for routes and addresses, iptables (on
// Debian 12 the nf_tables flavour Docker uses too) for rules, nft for Orchestra's own tables. Optionally inside another network namespace.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseSavedRules } from "./firewall-plan.js";
import type { FirewallRule, FirewallTable, KernelRoute, NetworkKernel } from "./kernel.js";
import { ROUTE_PROTOCOL } from "./route-plan.js";

const run = promisify(execFile);
const TIMEOUT_MS = 15_000;
/** Seconds iptables waits for the xtables lock that Docker also takes. */
const LOCK_WAIT_SECONDS = "10";

export interface HostKernelOptions {
  /** Run every command in this network namespace (`/run/netns/NAME`), through nsenter. Default: our own. */
  netnsPath?: string;
}

export class HostKernel implements NetworkKernel {
  constructor(private readonly options: HostKernelOptions = {}) {}

  async routes(): Promise<KernelRoute[]> {
    const output = await this.command("ip", ["-j", "-4", "route", "show", "table", "main"]);
    const listed = JSON.parse(output || "[]") as {
      dst: string;
      gateway?: string;
      dev?: string;
      protocol?: string;
    }[];
    return listed.map((route) => ({
      dst: route.dst,
      gateway: route.gateway,
      dev: route.dev,
      protocol: route.protocol ?? "boot",
    }));
  }

  async localAddresses(): Promise<string[]> {
    const output = await this.command("ip", ["-j", "-4", "addr", "show"]);
    const links = JSON.parse(output || "[]") as { addr_info?: { family?: string; local?: string }[] }[];
    return links.flatMap((link) =>
      (link.addr_info ?? []).flatMap((info) => (info.family === "inet" && info.local ? [info.local] : [])),
    );
  }

  async replaceRoute(dst: string, via: string): Promise<void> {
    await this.command("ip", ["route", "replace", dst, "via", via, "proto", ROUTE_PROTOCOL]);
  }

  async deleteRoute(dst: string): Promise<void> {
    try {
      await this.command("ip", ["route", "del", dst, "proto", ROUTE_PROTOCOL]);
    } catch (err) {
      if (!/No such process|not found/i.test(String((err as Error).message))) throw err;
    }
  }

  async rules(table: FirewallTable): Promise<FirewallRule[]> {
    return parseSavedRules(table, await this.command("iptables-save", ["-t", table]));
  }

  async insertRule(rule: FirewallRule): Promise<void> {
    await this.iptables(rule.table, ["-I", rule.chain, "1", ...rule.args]);
  }

  async deleteRule(rule: FirewallRule): Promise<void> {
    try {
      await this.iptables(rule.table, ["-D", rule.chain, ...rule.args]);
    } catch (err) {
      if (!/does a matching rule exist|No chain\/target\/match|Bad rule/i.test((err as Error).message))
        throw err;
    }
  }

  async ensureChain(table: FirewallTable, chain: string): Promise<void> {
    try {
      await this.iptables(table, ["-N", chain]);
    } catch (err) {
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
  }

  async applyNft(script: string): Promise<void> {
    await this.command("nft", ["-f", "-"], script);
  }

  async nftTables(): Promise<string[]> {
    const output = await this.command("nft", ["list", "tables", "ip"]);
    return output.split("\n").flatMap((line) => /^table ip (\S+)$/.exec(line.trim())?.slice(1) ?? []);
  }

  async sysctl(name: string): Promise<string | undefined> {
    try {
      return (await this.command("sysctl", ["-n", name])).trim();
    } catch (err) {
      if (/cannot stat|No such file/i.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  private iptables(table: FirewallTable, args: string[]): Promise<string> {
    return this.command("iptables", ["-w", LOCK_WAIT_SECONDS, "-t", table, ...args]);
  }

  /** Runs the tool (with `input` on its stdin) and returns its stdout; a failure's message is the tool's own error line. */
  private async command(tool: string, args: string[], input?: string): Promise<string> {
    const [file, argv] = this.options.netnsPath
      ? ["nsenter", [`--net=${this.options.netnsPath}`, tool, ...args]]
      : [tool, args];
    try {
      const running = run(file, argv, { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
      if (input !== undefined) running.child.stdin?.end(input);
      const { stdout } = await running;
      return stdout;
    } catch (err) {
      const failure = err as Error & { stderr?: string; code?: string | number };
      if (failure.code === "ENOENT") throw new Error(`${file} is not installed (${missingPackage(file)})`);
      const detail = failure.stderr?.trim().split("\n").pop() || failure.message;
      throw new Error(`${tool} ${args.join(" ")}: ${detail}`);
    }
  }
}

function missingPackage(tool: string): string {
  if (tool === "ip") return "Debian: apt-get install iproute2";
  if (tool.startsWith("iptables")) return "Debian: apt-get install iptables";
  if (tool === "nsenter") return "Debian: apt-get install util-linux";
  if (tool === "nft") return "Debian: apt-get install nftables";
  if (tool === "sysctl") return "Debian: apt-get install procps";
  return "install it with your package manager";
}
