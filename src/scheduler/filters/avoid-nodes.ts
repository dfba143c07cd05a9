// Feasibility (soft): not a node the pod was moved away from after crashing there past its restart limit.
// Soft: when no node passes but for this filter, schedule() ignores it so that the pod still runs somewhere.
import { type Filter, feasible, infeasible } from "../framework.js";

export const avoidNodes: Filter = (node, pod) =>
  pod.avoidNodes?.includes(node.name) ? infeasible("previously failed here") : feasible;
