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
  rollouts: "/rollouts",
  rollout: (deployment: string) => childKey("/rollouts", deployment),
  /** Election names (see `Store.campaign`). */
  elections: {
    controller: "controller",
    scheduler: "scheduler",
  },
} as const;
