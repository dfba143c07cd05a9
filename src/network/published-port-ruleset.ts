// The published ports of one node as an nftables script: one table of Orchestra's, written whole by one
// `nft -f`, which the kernel applies as a single transaction (the script deletes the old table and adds
// the new one), so that a change or a worker's restart never leaves a moment without rules. Pure.
//
// Connections to a local address of the node on a published port are DNATed in nat prerouting (from
// elsewhere) and nat output (from the node itself), before Docker's own rules (priority -110 < dstnat); `numgen random` spreads new
// connections evenly over the backends; connection tracking keeps each connection (UDP flows too) on the
// backend it got, so taking a backend out of the table stops only new connections to it. A connection
// marked for masquerade (its backend is on another node, or it comes from a pod or loopback and would not
// find its way back otherwise) is source-NATed in nat postrouting: to the node's pod gateway when given
// (an address of the pod network, which the other node routes back here and its firewall lets in), else
// to the outgoing interface's address.
import type { PublishedService } from "./published-port-plan.js";

/** The connection mark bit that asks for masquerade. */
export const MASQUERADE_MARK = "0x00800000";

/** The table of a node's published ports: `orchestra_ports`, or one per node when several share a machine. */
export function portTableName(node?: string): string {
  return node === undefined ? "orchestra_ports" : `orchestra_ports_${node.replace(/[^A-Za-z0-9]/g, "_")}`;
}

export interface RulesetOptions {
  table: string;
  /** Connections to 127.0.0.0/8 are published too: the kernel must route them (`route_localnet`). */
  localhost: boolean;
  /** Sources that are masqueraded whatever the backend (the node's pods, so that hairpin answers return). */
  masqueradeSources?: readonly string[];
  /** The address masqueraded connections take: the node's pod gateway. Default: the outgoing interface's. */
  snatTo?: string;
}

const chainOf = (service: PublishedService) => `port_${service.protocol}_${service.publishedPort}`;

/** The nft script that makes the table exactly `services`. */
export function renderPortRuleset(services: readonly PublishedService[], options: RulesetOptions): string {
  const { table } = options;
  const local = options.localhost ? "fib daddr type local" : "ip daddr != 127.0.0.0/8 fib daddr type local";
  const served = services.filter((s) => s.backends.length > 0);
  const lines = [
    // Creating the table first makes the delete valid when it does not exist yet.
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    "  chain prerouting {",
    "    type nat hook prerouting priority -110; policy accept;",
    "    fib daddr type local jump published",
    "  }",
    "  chain output {",
    "    type nat hook output priority -110; policy accept;",
    `    ${local} jump published`,
    "  }",
    "  chain postrouting {",
    "    type nat hook postrouting priority 90; policy accept;",
    `    ct mark & ${MASQUERADE_MARK} == ${MASQUERADE_MARK} ${options.snatTo ? `snat to ${options.snatTo}` : "masquerade"}`,
    "  }",
    "  chain published {",
    ...served.map((s) => `    ${s.protocol} dport ${s.publishedPort} jump ${chainOf(s)}`),
    "  }",
  ];
  const sources = [...(options.localhost ? ["127.0.0.0/8"] : []), ...(options.masqueradeSources ?? [])];
  const markSources = sources.length > 0 ? `ip saddr { ${sources.join(", ")} } ${markMasquerade}` : undefined;
  for (const service of served) {
    lines.push(`  chain ${chainOf(service)} {`);
    lines.push(`    # ${service.deployment}: ${service.backends.map((b) => b.pod).join(" ")}`);
    if (service.masquerade) lines.push(`    ${markMasquerade}`);
    else if (markSources) lines.push(`    ${markSources}`);
    lines.push(`    ${dispatch(service)}`);
    lines.push("  }");
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

const markMasquerade = `ct mark set ct mark | ${MASQUERADE_MARK}`;

/** One backend: DNAT to it; several: a random pick, equally likely. (nft wants the protocol matched first.) */
function dispatch(service: PublishedService): string {
  const match = `meta l4proto ${service.protocol}`;
  const targets = service.backends.map((b) => `${b.ip} . ${b.port}`);
  if (targets.length === 1) {
    const [only] = service.backends;
    return `${match} dnat to ${only?.ip}:${only?.port}`;
  }
  const map = targets.map((target, i) => `${i} : ${target}`).join(", ");
  return `${match} dnat ip to numgen random mod ${targets.length} map { ${map} }`;
}

/** The script that removes the table (and nothing else); fine when it is not there. */
export function renderPortTableRemoval(table: string): string {
  return `table ip ${table}\ndelete table ip ${table}\n`;
}
