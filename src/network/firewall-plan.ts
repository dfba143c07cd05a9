// The firewall rules a node's pod network needs, and how to get there from what the machine has. Pure.
//
// Docker 20.10 builds FORWARD as: DOCKER-USER, DOCKER-ISOLATION-STAGE-1 (which drops traffic from one of its
// bridges to another), then per bridge: accept replies to it, jump to DOCKER (published ports only) for new
// connections to it, accept what leaves it; the policy is DROP once Docker turned on forwarding. So a pod on
// another machine (or on another bridge of the same engine) could never open a connection to a pod here. Rules
// in DOCKER-USER come first and Docker never touches them: there, traffic between this node's subnet and the
// pod CIDR is accepted. The bridge is created with Docker's masquerade off, so that pods see each other's real
// addresses; what leaves the pod CIDR is masqueraded by one rule of ours in nat POSTROUTING instead.
import type { FirewallRule, FirewallTable } from "./kernel.js";

/** Every rule of the pod network carries a comment that starts so, then names its node. */
export const RULE_TAG_PREFIX = "orchestra:pod-network:";
export const USER_CHAIN = "DOCKER-USER";

export function ruleTag(node: string): string {
  return `${RULE_TAG_PREFIX}${node}`;
}

/** The rules of one node, in the form `iptables-save` prints them (so that what is there compares equal). */
export function podNetworkRules(node: string, subnet: string, podCidr: string): FirewallRule[] {
  const tag = ["-m", "comment", "--comment", ruleTag(node)];
  return [
    // Any pod of the cluster may open connections to this node's pods...
    { table: "filter", chain: USER_CHAIN, args: ["-s", podCidr, "-d", subnet, ...tag, "-j", "ACCEPT"] },
    // ...and this node's pods to any pod, also on another bridge of the same engine (isolation stage 1).
    { table: "filter", chain: USER_CHAIN, args: ["-s", subnet, "-d", podCidr, ...tag, "-j", "ACCEPT"] },
    // Leaving the cluster: masqueraded, as Docker's own rule would have done.
    {
      table: "nat",
      chain: "POSTROUTING",
      args: ["-s", subnet, "!", "-d", podCidr, ...tag, "-j", "MASQUERADE"],
    },
  ];
}

/** The comment of a rule (`--comment X`), if it has one. */
export function ruleComment(rule: FirewallRule): string | undefined {
  const at = rule.args.indexOf("--comment");
  return at === -1 ? undefined : rule.args[at + 1];
}

export interface FirewallPlan {
  insert: FirewallRule[];
  remove: FirewallRule[];
}

/**
 * From the rules the machine has (`present`: every rule of the tables) to the node's `wanted` ones: inserts what
 * is missing, removes the node's rules that are not wanted (e.g. a second copy).
 */
export function planFirewall(
  node: string,
  wanted: readonly FirewallRule[],
  present: readonly FirewallRule[],
): FirewallPlan {
  const tag = ruleTag(node);
  const mine = present.filter((rule) => ruleComment(rule) === tag);
  const plan: FirewallPlan = { insert: [], remove: [] };
  const unmatched = [...mine];
  // Inserting puts a rule first: insert the last wanted rule first, so that they end up in their order.
  for (const rule of [...wanted].reverse()) {
    const at = unmatched.findIndex((candidate) => sameRule(candidate, rule));
    if (at === -1) plan.insert.push(rule);
    else unmatched.splice(at, 1);
  }
  plan.remove.push(...unmatched);
  return plan;
}

/** Every rule of the pod network among `present` (any node's, or `node`'s only). */
export function podNetworkRulesIn(present: readonly FirewallRule[], node?: string): FirewallRule[] {
  return present.filter((rule) => {
    const comment = ruleComment(rule);
    if (comment === undefined) return false;
    return node === undefined ? comment.startsWith(RULE_TAG_PREFIX) : comment === ruleTag(node);
  });
}

export function sameRule(a: FirewallRule, b: FirewallRule): boolean {
  return (
    a.table === b.table &&
    a.chain === b.chain &&
    a.args.length === b.args.length &&
    a.args.every((arg, i) => arg === b.args[i])
  );
}

/** The `-A CHAIN ...` lines of `iptables-save -t TABLE` output, as rules. */
export function parseSavedRules(table: FirewallTable, text: string): FirewallRule[] {
  const rules: FirewallRule[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("-A ")) continue;
    const [, chain, ...args] = splitSavedLine(line);
    if (chain) rules.push({ table, chain, args });
  }
  return rules;
}

/** Splits one line of `iptables-save` into words; it double-quotes comments, with `\"` and `\\` inside. */
export function splitSavedLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quoted) {
      if (char === "\\" && i + 1 < line.length) word += line[++i];
      else if (char === '"') quoted = false;
      else word += char;
    } else if (char === '"') {
      quoted = true;
      started = true;
    } else if (char === " ") {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += char;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

export function describeRule(rule: FirewallRule): string {
  return `-t ${rule.table} ${rule.chain} ${rule.args.join(" ")}`;
}
