// Where each kind of object lives in the store.
import { childKey } from "./store.js";

export const keys = {
  deployments: "/deployments",
  deployment: (name: string) => childKey("/deployments", name),
  pods: "/pods",
  pod: (id: string) => childKey("/pods", id),
  nodes: "/nodes",
  events: "/events",
  event: (id: string) => childKey("/events", id),
  node: (name: string) => childKey("/nodes", name),
  /** Election names (see `Store.campaign`). */
  elections: {
    controller: "controller",
    scheduler: "scheduler",
  },
} as const;
