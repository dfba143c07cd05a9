// Feasibility: the node's labels satisfy every placement constraint of the pod's template (as Swarm's
// `node.labels.zone==east` and Nomad's constraint blocks). A pod without constraints fits any node.
import type { Constraint } from "../../core/types.js";
import { type Filter, feasible, infeasible } from "../framework.js";

export const constraintsMatch: Filter = (node, pod) => {
  const constraints = pod.template.placement?.constraints;
  if (!constraints || constraints.length === 0) return feasible;
  const labels = node.labels ?? {};
  return constraints.every((constraint) => satisfies(labels, constraint))
    ? feasible
    : infeasible("didn't match constraints");
};

/** Whether `labels` meet one constraint; a missing label fails `==`/`in` and passes `!=`/`notin`. */
export function satisfies(labels: Record<string, string>, constraint: Constraint): boolean {
  const value = Object.hasOwn(labels, constraint.label) ? labels[constraint.label] : undefined;
  switch (constraint.operator) {
    case "==":
      return value === constraint.value;
    case "!=":
      return value !== constraint.value;
    case "in":
      return value !== undefined && (constraint.values ?? []).includes(value);
    case "notin":
      return value === undefined || !(constraint.values ?? []).includes(value);
    case "exists":
      return value !== undefined;
    case "notexists":
      return value === undefined;
  }
}
