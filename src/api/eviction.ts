// Whether a pod may be evicted now, as Kubernetes' eviction API decides with a PodDisruptionBudget: here
// the budget is the deployment's maxUnavailable, so a drain never takes it below replicas - maxUnavailable
// available (ready) pods. Pure: the route reads the pods and commits the decision.
import { resolveBudget, resolveStrategy } from "../core/defaults.js";
import type { Deployment, Pod } from "../core/types.js";

export type EvictionDecision = { allowed: true } | { allowed: false; message: string };

export function evictionDecision(
  pod: Pod,
  deployment: Deployment | undefined,
  siblings: Pod[],
): EvictionDecision {
  // A pod that is not available costs nothing to evict; a pod of no deployment has no budget.
  if (!deployment || pod.status.ready !== true) return { allowed: true };
  const { maxUnavailable } = resolveStrategy(deployment.strategy);
  // Rounded up, as Kubernetes rounds a PodDisruptionBudget's maxUnavailable percentage: 25% of 2 lets one go.
  const budget = resolveBudget(maxUnavailable, deployment.replicas, "up");
  const needed = deployment.replicas - budget;
  const available = siblings.filter(
    (sibling) => sibling.deployment === deployment.name && sibling.status.ready === true,
  ).length;
  if (available - 1 >= needed) return { allowed: true };
  return {
    allowed: false,
    message:
      `cannot evict pod/${pod.name}: deployment ${deployment.name} needs ${needed} available pods ` +
      `(replicas ${deployment.replicas}, maxUnavailable ${maxUnavailable}) and has ${available}`,
  };
}
