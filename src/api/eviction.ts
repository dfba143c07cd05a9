// Whether a pod may be evicted now, as Kubernetes' eviction API decides with a PodDisruptionBudget: here
// the budget is the deployment's maxUnavailable, so a drain never takes it below replicas - maxUnavailable
// available (ready) pods. Pure: pod-eviction.ts reads the pods and commits the decision with evictionOps.
import { resolveBudget, resolveStrategy } from "../core/defaults.js";
import type { Deployment, Pod } from "../core/types.js";
import { podDeleteOps } from "../store/pod-ops.js";
import type { Entry, TxOp } from "../store/store.js";

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

/**
 * The ops that commit an allowed eviction of `pod` (read at `version`): its delete, and a check of every
 * input of the decision (the deployment and each sibling counted as available) at the version read. Two
 * evictions decided on the same pods then cannot both commit: the second finds a sibling gone or changed,
 * and decides again.
 */
export function evictionOps(
  pod: Entry<Pod>,
  deployment: Entry<Deployment> | undefined,
  siblings: Entry<Pod>[],
): TxOp[] {
  const ops = podDeleteOps(pod.value, pod.version);
  if (!deployment || pod.value.status.ready !== true) return ops;
  ops.push({ op: "check", key: deployment.key, version: deployment.version });
  for (const sibling of siblings) {
    const counted =
      sibling.value.id !== pod.value.id &&
      sibling.value.deployment === deployment.value.name &&
      sibling.value.status.ready === true;
    if (counted) ops.push({ op: "check", key: sibling.key, version: sibling.version });
  }
  return ops;
}
