// The controller's decision for one deployment, a pure function: which of its pods to delete and how
// many to create so that exactly `replicas` pods of the current revision remain.
import type { Deployment, Pod } from "../core/types.js";

export interface PodPlan {
  /** How many pods of the current revision to create. */
  create: number;
  /** Pods to remove: all of an old revision (a plain replace), then the excess of the current one. */
  delete: Pod[];
}

/** `deployment` undefined means it was deleted: every one of its pods goes. */
export function planPods(deployment: Deployment | undefined, pods: readonly Pod[]): PodPlan {
  if (!deployment) return { create: 0, delete: [...pods] };
  const current = pods.filter((pod) => pod.hash === deployment.hash);
  const outdated = pods.filter((pod) => pod.hash !== deployment.hash);
  const excess = current.length - deployment.replicas;
  const extra = excess > 0 ? rankForDeletion(current).slice(0, excess) : [];
  return { create: Math.max(0, -excess), delete: [...outdated, ...extra] };
}

/**
 * The order in which surplus pods go, cheapest loss first: pods not on a node yet, then pods not running,
 * then the newest (the oldest have proven themselves); the id settles the rest so the choice is stable.
 */
export function rankForDeletion(pods: readonly Pod[]): Pod[] {
  const rank = (pod: Pod) => (pod.node === undefined ? 0 : pod.status.phase !== "Running" ? 1 : 2);
  return [...pods].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      compare(b.createdAt, a.createdAt) || // newest first
      compare(b.id, a.id),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
