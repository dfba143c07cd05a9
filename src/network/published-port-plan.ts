// Which pods each published port of the cluster leads to, as seen from one node. Pure: deployments and pods
// in, one entry per published port out; published-port-ruleset.ts turns it into the kernel's rules.
//
// A node prefers its own pods: when it runs a ready pod of the deployment, connections it receives go only
// to its own pods and keep the client's address (plain DNAT). A node without one sends them to the ready
// pods of other nodes, masqueraded: otherwise the pod would answer the client straight from its own node,
// which the client's connection never went through, and the reply would be dropped.
import { isIPv4 } from "node:net";
import { type PublishedPort, publishedPortsOf } from "../core/published-ports.js";
import type { Deployment, Pod } from "../core/types.js";

/** Where a connection to a published port may go. */
export interface PortBackend {
  pod: string;
  ip: string;
  port: number;
}

/** One published port of the cluster on this node. */
export interface PublishedService extends PublishedPort {
  deployment: string;
  /** The pods new connections are spread over, sorted by pod name; empty: none is ready. */
  backends: PortBackend[];
  /** The backends run on other nodes: connections to them are masqueraded. */
  masquerade: boolean;
}

/**
 * A pod receives new connections while it runs, is ready, has an IPv4 address and is not being drained.
 * A pod being drained (terminatingSince) or no longer ready leaves at once; established connections to it
 * are the kernel's connection tracking's and stay until the pod itself goes.
 */
export function receivesConnections(pod: Pod): boolean {
  if (pod.status.phase !== "Running" || pod.terminatingSince !== undefined) return false;
  const ip = pod.status.ip;
  if (ip === undefined || !isIPv4(ip)) return false;
  // Pods written before readiness existed have no `ready`: running is ready unless a check must pass.
  return pod.status.ready ?? pod.template.healthCheck === undefined;
}

/** Whether the pod's template declares `containerPort/protocol` (a pod of an older revision may not). */
function declares(pod: Pod, port: PublishedPort): boolean {
  return (pod.template.ports ?? []).some(
    (p) => p.containerPort === port.containerPort && (p.protocol ?? "tcp") === port.protocol,
  );
}

/**
 * Every published port of `deployments`, in port order, with the pods of its deployment that `node`
 * sends new connections to. Pods of any revision count while they declare the container port, so a
 * rolling update keeps serving through the port.
 */
export function planPublishedPorts(
  node: string,
  deployments: readonly Pick<Deployment, "name" | "ports">[],
  pods: readonly Pod[],
): PublishedService[] {
  const podsByDeployment = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!receivesConnections(pod)) continue;
    const list = podsByDeployment.get(pod.deployment) ?? [];
    list.push(pod);
    podsByDeployment.set(pod.deployment, list);
  }
  const services: PublishedService[] = [];
  for (const deployment of deployments) {
    for (const port of publishedPortsOf(deployment.ports)) {
      const serving = (podsByDeployment.get(deployment.name) ?? []).filter((pod) => declares(pod, port));
      const local = serving.filter((pod) => pod.node === node);
      const chosen = local.length > 0 ? local : serving;
      const backends = chosen
        .map((pod) => ({ pod: pod.name, ip: pod.status.ip as string, port: port.containerPort }))
        .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
      services.push({
        ...port,
        deployment: deployment.name,
        backends,
        masquerade: local.length === 0 && backends.length > 0,
      });
    }
  }
  return services.sort((a, b) => a.publishedPort - b.publishedPort || a.protocol.localeCompare(b.protocol));
}
