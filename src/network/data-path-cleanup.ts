// Removes what the pod network put on this machine (every node's firewall rules, every route of Orchestra's),
// for `orchestra down`, the lab and the tests' cleanups. What belongs to Orchestra is found by its tags.
import { podNetworkRulesIn } from "./firewall-plan.js";
import type { NetworkKernel } from "./kernel.js";
import { isOrchestraRoute } from "./route-plan.js";

export interface RemovedDataPath {
  rules: number;
  routes: number;
}

/**
 * Removes the firewall rules of `nodes` (default: of every node) and, unless only some nodes are named, every
 * route of Orchestra's. Idempotent.
 */
export async function removeDataPath(
  kernel: NetworkKernel,
  nodes?: readonly string[],
): Promise<RemovedDataPath> {
  const present = [...(await kernel.rules("filter")), ...(await kernel.rules("nat"))];
  const rules =
    nodes === undefined
      ? podNetworkRulesIn(present)
      : nodes.flatMap((node) => podNetworkRulesIn(present, node));
  for (const rule of rules) await kernel.deleteRule(rule);
  let routes = 0;
  if (nodes === undefined) {
    for (const route of (await kernel.routes()).filter(isOrchestraRoute)) {
      await kernel.deleteRoute(route.dst);
      routes++;
    }
  }
  return { rules: rules.length, routes };
}
