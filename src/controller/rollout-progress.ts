// The rollout's state machine as a pure function: the previous status, the deployment and its pod counts
// in; the next status out, and whether the rollout just failed (for the caller to roll back or not).

import { resolveStrategy } from "../core/defaults.js";
import { canonicalJson } from "../core/revision.js";
import type { Deployment, RolloutStatus } from "../core/types.js";
import { isComplete, type RolloutCounts } from "./rollout-plan.js";

export interface ProgressInput {
  deployment: Deployment;
  /** The stored status; undefined before the first rollout of this deployment was seen. */
  previous: RolloutStatus | undefined;
  /** The revision number of the deployment's current hash. */
  revision: number;
  counts: RolloutCounts;
  /** Why new pods are failing for good (see `failingPodReason`), if they are. */
  failing: string | undefined;
  now: number;
}

export interface ProgressDecision {
  status: RolloutStatus;
  /** False when nothing but the time would change: then nothing needs writing. */
  changed: boolean;
  /** Set on the step where the rollout fails: why. */
  failed?: string;
  /** Set on the step where the rollout completes. */
  completed?: boolean;
  /** Set on the step where a new rollout starts. */
  started?: boolean;
  /** When the progress deadline will pass (epoch ms), while progressing. */
  deadlineAt?: number;
}

export function advanceRollout(input: ProgressInput): ProgressDecision {
  const { deployment, previous, counts, now } = input;
  const iso = new Date(now).toISOString();
  const deadlineMs = resolveStrategy(deployment.strategy).progressDeadlineSeconds * 1000;
  const started = !previous || previous.hash !== deployment.hash;
  const base: RolloutStatus = started
    ? {
        revision: input.revision,
        hash: deployment.hash,
        observedGeneration: deployment.generation,
        state: "progressing",
        message: `rolling out revision ${input.revision}`,
        ...counts,
        startedAt: iso,
        updatedAt: iso,
        progressAt: iso,
      }
    : { ...previous, ...counts, revision: input.revision, observedGeneration: deployment.generation };

  const next: RolloutStatus = { ...base };
  const moved = !started && madeProgress(previous, next);
  if (moved) next.progressAt = iso;
  const complete = isComplete(counts);
  let failed: string | undefined;
  let completed = false;

  if (next.state === "progressing" || next.state === "failed") {
    if (complete) {
      next.state = "complete";
      next.message = `revision ${input.revision} rolled out`;
      completed = true;
    } else if (next.state === "progressing") {
      const stalledFor = now - Date.parse(next.progressAt);
      if (input.failing !== undefined) failed = input.failing;
      else if (stalledFor >= deadlineMs)
        failed = `no progress for ${deadlineMs / 1000}s (progress deadline): ${counts.availableReplicas} of ${counts.replicas} updated replicas available`;
      if (failed !== undefined) {
        next.state = "failed";
        next.message = `revision ${input.revision} failed: ${failed}`;
      }
    }
  }
  // A rolled-back status keeps its state and message (rollout status reports them) while pods settle.

  const changed = !previous || comparable(previous) !== comparable(next);
  if (changed) next.updatedAt = iso;
  const decision: ProgressDecision = { status: next, changed };
  if (failed !== undefined) decision.failed = failed;
  if (completed) decision.completed = true;
  if (started) decision.started = true;
  if (next.state === "progressing") decision.deadlineAt = Date.parse(next.progressAt) + deadlineMs;
  return decision;
}

/** Progress (as in Kubernetes): more new pods, more of them available, or fewer old pods. */
function madeProgress(previous: RolloutStatus, next: RolloutStatus): boolean {
  const oldPods = (status: RolloutStatus) => status.totalReplicas - status.updatedReplicas;
  return (
    next.updatedReplicas > previous.updatedReplicas ||
    next.availableReplicas > previous.availableReplicas ||
    oldPods(next) < oldPods(previous)
  );
}

function comparable(status: RolloutStatus): string {
  const { updatedAt: _updatedAt, ...rest } = status;
  return canonicalJson(rest);
}
