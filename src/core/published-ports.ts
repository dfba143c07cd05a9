// Published ports: which ports of a deployment are reachable from outside on every node, and which ports a
// deployment may not take because Orchestra's own processes listen on them.

/** A port published on every node, with what it leads to. */
export interface PublishedPort {
  publishedPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/**
 * Ports Orchestra's processes listen on by default on a node's addresses: the API server (8080), cluster
 * DNS (53) and ZooKeeper (client 2181, quorum 2888 and 3888). A rule in front of them would take their
 * traffic, so no deployment may publish them.
 */
export const ORCHESTRA_PORTS: readonly { port: number; protocol: "tcp" | "udp"; owner: string }[] = [
  { port: 53, protocol: "tcp", owner: "cluster DNS" },
  { port: 53, protocol: "udp", owner: "cluster DNS" },
  { port: 2181, protocol: "tcp", owner: "ZooKeeper" },
  { port: 2888, protocol: "tcp", owner: "ZooKeeper" },
  { port: 3888, protocol: "tcp", owner: "ZooKeeper" },
  { port: 8080, protocol: "tcp", owner: "the API server" },
];

/** Who holds `port/protocol` among Orchestra's own ports, or undefined. */
export function orchestraPortOwner(port: number, protocol: string): string | undefined {
  return ORCHESTRA_PORTS.find((p) => p.port === port && p.protocol === protocol)?.owner;
}

/** The published ports of a spec's `ports`, in their order. */
export function publishedPortsOf(
  ports: readonly { containerPort: number; protocol: string; publishedPort?: number }[] | undefined,
): PublishedPort[] {
  const published: PublishedPort[] = [];
  for (const port of ports ?? []) {
    if (port.publishedPort === undefined) continue;
    published.push({
      publishedPort: port.publishedPort,
      containerPort: port.containerPort,
      protocol: port.protocol === "udp" ? "udp" : "tcp",
    });
  }
  return published;
}

/** `8080/tcp`: how a published port is named in messages and store keys. */
export function publishedPortName(port: { publishedPort: number; protocol: string }): string {
  return `${port.publishedPort}/${port.protocol}`;
}
