// Feasibility: the node's worker has registered. Registrations are ephemeral, so a node in the snapshot has
// a live worker session; a registration without an address is incomplete and gets no pods.
import { type Filter, feasible, infeasible } from "../framework.js";

export const nodeReady: Filter = (node) =>
  node.address && node.registeredAt ? feasible : infeasible("not ready");
