// Where each kind of object lives in the store.
import { childKey } from "./store.js";

export const keys = {
  deployments: "/deployments",
  deployment: (name: string) => childKey("/deployments", name),
  pods: "/pods",
  pod: (id: string) => childKey("/pods", id),
  /** The pods bound to a node, one key each, kept with the binding (see pod-ops.ts): what its worker watches. */
  assignments: (node: string) => childKey("/assignments", node),
  assignment: (node: string, podId: string) => childKey(childKey("/assignments", node), podId),
  nodes: "/nodes",
  events: "/events",
  event: (id: string) => childKey("/events", id),
  node: (name: string) => childKey("/nodes", name),
  /** What users set on a node (cordon, labels): persistent, unlike the worker's ephemeral registration. */
  nodeConfigs: "/nodeconfig",
  nodeConfig: (name: string) => childKey("/nodeconfig", name),
  /** Revision history: `/revisions/<deployment>/<n>`. */
  revisions: (deployment: string) => childKey("/revisions", deployment),
  revision: (deployment: string, n: number) => childKey(childKey("/revisions", deployment), String(n)),
  /** API servers' credentials towards node endpoints (hashes, ephemeral): see endpoint-credentials.ts. */
  endpointClients: "/endpointclients",
  endpointClient: (id: string) => childKey("/endpointclients", id),
  /** Configs and secrets: `/configs/<name>` (what it is, its version), `/configdata/<name>/<version>` (its data). */
  configs: "/configs",
  config: (name: string) => childKey("/configs", name),
  configVersions: (name: string) => childKey("/configdata", name),
  configVersion: (name: string, version: number) => childKey(childKey("/configdata", name), String(version)),
  secrets: "/secrets",
  secret: (name: string) => childKey("/secrets", name),
  secretVersions: (name: string) => childKey("/secretdata", name),
  secretVersion: (name: string, version: number) => childKey(childKey("/secretdata", name), String(version)),
  /**
   * Named volumes as workers report them: `/volumes/<volume>.<node>`, one directory for the scheduler to watch.
   * A Docker volume's name (`orchestra-<deployment>-<name>`, DNS labels) has no '.', so the first one ends it.
   */
  volumes: "/volumes",
  volume: (node: string, volume: string) => childKey("/volumes", `${volume}.${node}`),
  /** Claims of published ports, `<port>-<protocol>` → the deployment holding it: unique by creation. */
  publishedPorts: "/publishedports",
  publishedPort: (port: number, protocol: string) => childKey("/publishedports", `${port}-${protocol}`),
  rollouts: "/rollouts",
  /** API tokens with roles: `/tokens/<id>`, each with the hash of its secret (see src/api/token-records.ts). */
  tokens: "/tokens",
  token: (id: string) => childKey("/tokens", id),
  /** The pod network: the cluster's CIDR, the claim on each /24, and each node's /24 (see src/network/records.ts). */
  podNetwork: "/podnetwork",
  subnets: "/subnets",
  subnet: (keyName: string) => childKey("/subnets", keyName),
  nodeSubnets: "/nodesubnets",
  nodeSubnet: (node: string) => childKey("/nodesubnets", node),
  rollout: (deployment: string) => childKey("/rollouts", deployment),
  /** Election names (see `Store.campaign`). */
  elections: {
    controller: "controller",
    scheduler: "scheduler",
  },
} as const;
