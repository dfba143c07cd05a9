// Which routes a node keeps to the other nodes' pod subnets (flannel's host-gw: a plain route to each /24 via
// its node's address, no encapsulation). Pure: the store's allocations and the machine's routes in, changes out.
import { ipToNumber } from "../runtime/ipv4.js";
import type { KernelRoute } from "./kernel.js";
import { cidrContains, cidrsOverlap } from "./pod-cidr.js";
import type { NodeSubnet } from "./records.js";

/**
 * The `proto` every route of Orchestra carries, so that its routes can be told from everyone else's and removed
 * (`ip route show proto 79`). 79 is unassigned in iproute2's /etc/iproute2/rt_protos.
 */
export const ROUTE_PROTOCOL = "79";

export interface RoutePlanInput {
  /** This node. */
  self: string;
  podCidr: string;
  /** Every node's subnet in the store, this node's included. */
  nodes: readonly NodeSubnet[];
  /** The machine's main routing table now. */
  routes: readonly KernelRoute[];
  /** The machine's own addresses: a node at one of them shares this machine (and its bridge route). */
  localAddresses: readonly string[];
}

export interface RouteChange {
  dst: string;
  via: string;
  node: string;
}

export interface RoutePlan {
  /** Routes to add or to point at a new address. */
  replace: RouteChange[];
  /** Orchestra's routes (within the pod CIDR) to subnets no node holds any more. */
  remove: string[];
  /** Nodes that get no route from this one, and why. */
  skipped: { node: string; reason: string }[];
}

export function isOrchestraRoute(route: KernelRoute): boolean {
  return route.protocol === ROUTE_PROTOCOL;
}

export function planRoutes(input: RoutePlanInput): RoutePlan {
  const byDst = new Map(input.routes.map((route) => [route.dst, route]));
  const local = new Set(input.localAddresses);
  const plan: RoutePlan = { replace: [], remove: [], skipped: [] };
  const wanted = new Set<string>();
  for (const node of [...input.nodes].sort((a, b) => a.subnet.localeCompare(b.subnet))) {
    if (node.node === input.self) continue;
    if (!cidrContains(input.podCidr, node.subnet)) {
      plan.skipped.push({
        node: node.node,
        reason: `${node.subnet} is outside the pod CIDR ${input.podCidr}`,
      });
      continue;
    }
    if (!isIpv4(node.address)) {
      plan.skipped.push({ node: node.node, reason: `no usable address (${JSON.stringify(node.address)})` });
      continue;
    }
    // Several workers on one machine (sharing its engine): the engine's bridge already routes their pods.
    if (local.has(node.address)) {
      plan.skipped.push({ node: node.node, reason: `its address ${node.address} is this machine's` });
      continue;
    }
    const current = byDst.get(node.subnet);
    if (current && !isOrchestraRoute(current)) {
      plan.skipped.push({
        node: node.node,
        reason: `this machine already routes ${node.subnet} (${describeRoute(current)}): left as it is`,
      });
      continue;
    }
    wanted.add(node.subnet);
    if (current?.gateway !== node.address) {
      plan.replace.push({ dst: node.subnet, via: node.address, node: node.node });
    }
  }
  for (const route of input.routes) {
    if (!isOrchestraRoute(route) || wanted.has(route.dst) || route.dst === "default") continue;
    if (cidrContains(input.podCidr, withPrefix(route.dst))) plan.remove.push(route.dst);
  }
  return plan;
}

/**
 * A route of the machine that overlaps the pod CIDR and is not the pod network's own (a node's bridge or one of
 * Orchestra's routes to a node's subnet): pods there would be unreachable or would hide the machine's network.
 */
export function overlappingRoute(
  podCidr: string,
  routes: readonly KernelRoute[],
  clusterSubnets: ReadonlySet<string>,
): KernelRoute | undefined {
  return routes.find((route) => {
    if (route.dst === "default" || isOrchestraRoute(route)) return false;
    const dst = withPrefix(route.dst);
    if (clusterSubnets.has(dst)) return false;
    return cidrsOverlap(podCidr, dst);
  });
}

export function describeRoute(route: KernelRoute): string {
  const parts = [route.dst];
  if (route.gateway) parts.push(`via ${route.gateway}`);
  if (route.dev) parts.push(`dev ${route.dev}`);
  parts.push(`proto ${route.protocol}`);
  return parts.join(" ");
}

/** `ip route` writes a host route without its /32. */
function withPrefix(dst: string): string {
  return dst.includes("/") ? dst : `${dst}/32`;
}

function isIpv4(address: string): boolean {
  try {
    ipToNumber(address);
    return true;
  } catch {
    return false;
  }
}
