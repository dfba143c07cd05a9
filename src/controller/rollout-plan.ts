// The rolling update as a pure decision (Kubernetes' rolling-update arithmetic, applied to pods directly):
// pods of a deployment in, which to create and delete out, keeping total and available pods in budget.
import { DEFAULT_RESTART_POLICY, resolveBudget, resolveStrategy } from "../core/defaults.js";
import { isCertainStartFailure } from "../core/pod-reasons.js";
import type { Deployment, Pod } from "../core/types.js";
import { type PodPlan, planPods, rankForDeletion } from "./plan-pods.js";

export interface RolloutBudget {
  /** Pods allowed above `replicas` while rolling. */
  maxSurge: number;
  /** Available pods allowed below `replicas` while rolling. */
  maxUnavailable: number;
  minReadyMs: number;
}

export interface RolloutCounts {
  replicas: number;
  /** Pods of the current revision. */
  updatedReplicas: number;
  /** Ready pods of every revision. */
  readyReplicas: number;
  /** Pods of the current revision that are available. */
  availableReplicas: number;
  /** Pods of every revision. */
  totalReplicas: number;
}

export interface RolloutPlan extends PodPlan {
  /** The counts once this plan is written (created pods are not ready; deleted pods are gone). */
  counts: RolloutCounts;
  /** When a ready pod will have been ready for `minReadySeconds` (epoch ms): reconcile again then. */
  nextAvailableAt?: number;
}

export function budgetOf(deployment: Deployment): RolloutBudget {
  const strategy = resolveStrategy(deployment.strategy);
  const maxSurge = resolveBudget(strategy.maxSurge, deployment.replicas, "up");
  let maxUnavailable = resolveBudget(strategy.maxUnavailable, deployment.replicas, "down");
  // Both 0 could never move (validation refuses it; percentages of few replicas can still round to it).
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, minReadyMs: strategy.minReadySeconds * 1000 };
}

/** Running and ready: with a health check only once healthy (the worker sets `ready`). */
export function isReady(pod: Pod): boolean {
  if (pod.status.phase !== "Running") return false;
  // Pods written before readiness existed have no `ready`: running is ready unless a check must pass.
  return pod.status.ready ?? pod.template.healthCheck === undefined;
}

/** When the pod became ready (epoch ms), if it is. */
function readyAt(pod: Pod): number | undefined {
  if (!isReady(pod)) return undefined;
  const since = Date.parse(pod.status.readySince ?? pod.status.startedAt ?? pod.createdAt);
  return Number.isNaN(since) ? 0 : since;
}

/** Ready for at least `minReadyMs` at `now`: only such pods count as available. */
export function isAvailable(pod: Pod, minReadyMs: number, now: number): boolean {
  const since = readyAt(pod);
  return since !== undefined && since + minReadyMs <= now;
}

/**
 * Why pods of the current revision are failing for good, if they are: a start the engine refused for good
 * (the image cannot be pulled, the container cannot be created or started: see core/pod-reasons.ts), a health
 * check that failed past its retries, or crashes up to the restart policy's limit (after which the pod would
 * be moved elsewhere). Causes that may pass (a pull in progress or timing out, a registry's 5xx) are not.
 */
export function failingPodReason(deployment: Deployment, pods: readonly Pod[]): string | undefined {
  for (const pod of pods) {
    if (pod.hash !== deployment.hash) continue;
    const { reason, message } = pod.status;
    if (isCertainStartFailure(reason))
      return `pod ${pod.name} cannot start: ${reason}: ${message ?? ""}`.trim();
    if (pod.status.health === "unhealthy") return `pod ${pod.name} is unhealthy (health check failing)`;
    const limit = (pod.template.restartPolicy ?? DEFAULT_RESTART_POLICY).limit;
    if (pod.status.restarts >= limit)
      return `pod ${pod.name} crashed ${pod.status.restarts} times (restart limit ${limit})`;
  }
  return undefined;
}

/**
 * One step of the rollout at time `now`. Idempotent: planning again on the resulting pods changes nothing
 * until pods become ready. Without pods of an older revision this is a plain scale (`planPods`).
 * - Total pods never exceed `replicas + maxSurge`.
 * - Old pods go only while available pods stay at `replicas - maxUnavailable` or more, unavailable old
 *   pods first (they cost nothing); new pods count as available only once ready for `minReadySeconds`.
 */
export function planRollout(
  deployment: Deployment | undefined,
  allPods: readonly Pod[],
  now: number,
): RolloutPlan {
  if (!deployment) {
    return { ...planPods(undefined, allPods), counts: countPods(undefined, [], 0, now) };
  }
  // Pods being drained are gone as far as planning goes (as terminating pods in Kubernetes); they only
  // count as old pods still to go until the controller deletes them.
  const pods = allPods.filter((pod) => pod.terminatingSince === undefined);
  const draining = allPods.length - pods.length;
  const budget = budgetOf(deployment);
  const current = pods.filter((pod) => pod.hash === deployment.hash);
  const old = pods.filter((pod) => pod.hash !== deployment.hash);
  if (old.length === 0) {
    const plan = planPods(deployment, pods);
    const kept = pods.filter((pod) => !plan.delete.includes(pod));
    return finish(deployment, plan, kept, budget, now, draining);
  }

  const replicas = deployment.replicas;
  const available = (pod: Pod) => isAvailable(pod, budget.minReadyMs, now);
  const toDelete: Pod[] = [];

  // New pods beyond replicas (replicas went down mid-rollout): the least useful go.
  const excessNew = current.length - replicas;
  if (excessNew > 0) toDelete.push(...rankForAvailability(current, available).slice(0, excessNew));
  const newPods = current.filter((pod) => !toDelete.includes(pod));

  // Scale down the old revision, within the availability budget.
  const minAvailable = replicas - budget.maxUnavailable;
  const newUnavailable = newPods.filter((pod) => !available(pod)).length;
  // Kubernetes' bound: never scale old pods down faster than new ones become available.
  let maxScaledDown = newPods.length + old.length - minAvailable - newUnavailable;
  const ranked = rankForAvailability(old, available);
  const unavailableOld = ranked.filter((pod) => !available(pod));
  const availableOld = ranked.filter(available);
  const unhealthy = unavailableOld.slice(0, Math.max(0, maxScaledDown));
  toDelete.push(...unhealthy);
  maxScaledDown -= unhealthy.length;
  const availableCount = newPods.length - newUnavailable + availableOld.length;
  const removable = Math.min(maxScaledDown, availableCount - minAvailable);
  if (removable > 0) toDelete.push(...availableOld.slice(0, removable));

  // Scale up the new revision within the surge budget, counting the deletions above: they are written
  // first, so the total never exceeds the budget even between the two.
  const remainingOld = old.filter((pod) => !toDelete.includes(pod)).length;
  const maxTotal = replicas + budget.maxSurge;
  const create = Math.max(0, Math.min(maxTotal - (newPods.length + remainingOld), replicas - newPods.length));

  const kept = pods.filter((pod) => !toDelete.includes(pod));
  return finish(deployment, { create, delete: toDelete }, kept, budget, now, draining);
}

function finish(
  deployment: Deployment,
  plan: PodPlan,
  kept: Pod[],
  budget: RolloutBudget,
  now: number,
  draining: number,
): RolloutPlan {
  const counts = countPods(deployment, kept, budget.minReadyMs, now);
  counts.updatedReplicas += plan.create;
  counts.totalReplicas += plan.create + draining;
  let nextAvailableAt: number | undefined;
  for (const pod of kept) {
    const since = readyAt(pod);
    if (pod.hash !== deployment.hash || since === undefined || since + budget.minReadyMs <= now) continue;
    const at = since + budget.minReadyMs;
    nextAvailableAt = nextAvailableAt === undefined ? at : Math.min(nextAvailableAt, at);
  }
  return { ...plan, counts, ...(nextAvailableAt !== undefined ? { nextAvailableAt } : {}) };
}

export function countPods(
  deployment: Deployment | undefined,
  pods: readonly Pod[],
  minReadyMs: number,
  now: number,
): RolloutCounts {
  const counts: RolloutCounts = {
    replicas: deployment?.replicas ?? 0,
    updatedReplicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    totalReplicas: pods.length,
  };
  for (const pod of pods) {
    if (isReady(pod)) counts.readyReplicas++;
    if (pod.hash !== deployment?.hash) continue;
    counts.updatedReplicas++;
    if (isAvailable(pod, minReadyMs, now)) counts.availableReplicas++;
  }
  return counts;
}

/** Whether the rollout is done: every pod is of the current revision and available. */
export function isComplete(counts: RolloutCounts): boolean {
  return (
    counts.updatedReplicas === counts.replicas &&
    counts.availableReplicas === counts.replicas &&
    counts.readyReplicas >= counts.replicas &&
    counts.totalReplicas === counts.replicas
  );
}

/** Unavailable pods first (in the usual deletion order), then available ones in the usual order. */
function rankForAvailability(pods: readonly Pod[], available: (pod: Pod) => boolean): Pod[] {
  const ranked = rankForDeletion(pods);
  return [...ranked.filter((pod) => !available(pod)), ...ranked.filter(available)];
}
