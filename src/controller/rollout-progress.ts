// The rollout's state machine as pure functions: `advanceRollout` takes the previous status, the deployment
// and its pod counts to the next status (and whether the rollout just failed); `planRolloutStep` wraps it in
// everything a reconcile writes for a rollout (revisions, status, rollback), for RolloutReconciler to commit.
import { resolveStrategy } from "../core/defaults.js";
import { canonicalJson, podTemplateOf } from "../core/revision.js";
import type { Deployment, Revision, RolloutStatus } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { TxOp } from "../store/store.js";
import {
  deploymentAtRevision,
  describeChange,
  lastGoodRevision,
  REVISION_HISTORY_LIMIT,
  sortRevisions,
} from "./revisions.js";
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

// ---------------------------------------------------------------------------------------------------------
// The whole rollout step as a plan: revision bookkeeping, the status, the rollback, and what to write.

/** A stored value with its store version (the compare-and-set base of its next write). */
export interface Versioned<T> {
  value: T;
  version: number;
}

export interface RolloutStepInput {
  deployment: Deployment;
  /** The deployment's store version, for the compare-and-set of a rollback. */
  deploymentVersion: number;
  /** The stored revisions of the deployment (any order). */
  history: readonly Versioned<Revision>[];
  /** The stored rollout status; null when there is none yet. */
  status: Versioned<RolloutStatus> | null;
  /** The counts once the pod plan of this reconcile is written (RolloutPlan.counts). */
  counts: RolloutCounts;
  /** When a ready new pod becomes available (RolloutPlan.nextAvailableAt). */
  nextAvailableAt?: number;
  /** Why new pods are failing for good (see `failingPodReason`), if they are. */
  failing: string | undefined;
  now: number;
}

export interface RolloutEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface RolloutStep {
  /** What to write, in one fenced transaction; empty when nothing changed. */
  ops: TxOp[];
  /** The event to record once the ops are committed. */
  event?: RolloutEvent;
  /** Set when the ops roll the deployment back: the generation they write. */
  rolledBackTo?: { generation: number };
  /** Set when a new rollout starts: its revision number. */
  started?: number;
  /** Reconcile again after this long: a pod becomes available, or the progress deadline passes. */
  requeueAfterMs?: number;
}

/**
 * One rollout step for a deployment, from plain data: a new template (or an older one back again) becomes the
 * newest revision, the status moves on (`advanceRollout`), a completed revision is marked as a rollback target,
 * a failed rollout returns the deployment to its last good revision (unless `autoRollback` is off), and the
 * oldest revisions beyond the history limit go. Idempotent: planning again on what was written writes nothing.
 */
export function planRolloutStep(input: RolloutStepInput): RolloutStep {
  const { deployment, now } = input;
  const name = deployment.name;
  const iso = new Date(now).toISOString();
  const ops: TxOp[] = [];
  const revisions = input.history.map((entry) => entry.value);
  const newest = sortRevisions(revisions).at(-1);
  let nextNumber = (newest?.revision ?? 0) + 1;
  let current = revisions.find((revision) => revision.hash === deployment.hash);
  let created = false;

  if (!current || current !== newest) {
    // A new template, or an older one back again (an undo): it becomes the newest revision.
    const template = podTemplateOf(deployment);
    const fresh: Revision = {
      revision: nextNumber++,
      hash: deployment.hash,
      template,
      createdAt: iso,
      cause: current
        ? `rollback to revision ${current.revision}`
        : describeChange(newest?.template, template),
      ...(current?.completedAt ? { completedAt: current.completedAt } : {}),
    };
    if (current) ops.push({ op: "delete", key: keys.revision(name, current.revision) });
    ops.push({ op: "create", key: keys.revision(name, fresh.revision), value: fresh });
    current = fresh;
    created = true;
  }

  const decision = advanceRollout({
    deployment,
    previous: input.status?.value,
    revision: current.revision,
    counts: input.counts,
    failing: input.failing,
    now,
  });
  let status = decision.status;
  let event: RolloutEvent | undefined;

  if (isComplete(input.counts) && current.completedAt === undefined) {
    // A revision created above is still ours to change; a stored one is copied, never changed in place.
    if (created) current.completedAt = iso;
    else {
      current = { ...current, completedAt: iso };
      ops.push(revisionWrite(name, current, input.history));
    }
  }
  if (decision.completed && status.state === "complete")
    event = { type: "Normal", reason: "RolloutComplete", message: status.message };

  let rolledBackTo: RolloutStep["rolledBackTo"];
  if (decision.failed !== undefined) {
    const autoRollback = resolveStrategy(deployment.strategy).autoRollback;
    const target = autoRollback ? lastGoodRevision(revisions, deployment.hash) : undefined;
    if (target) {
      const rollback = deploymentAtRevision(deployment, target, iso);
      const restored: Revision = {
        ...structuredClone(target),
        revision: nextNumber++,
        createdAt: iso,
        cause: `rollback to revision ${target.revision}: revision ${current.revision} failed`,
      };
      const message = `revision ${current.revision} failed: ${decision.failed}; rolled back to revision ${target.revision} (now revision ${restored.revision})`;
      ops.push(
        { op: "set", key: keys.deployment(name), value: rollback, version: input.deploymentVersion },
        { op: "delete", key: keys.revision(name, target.revision) },
        { op: "create", key: keys.revision(name, restored.revision), value: restored },
      );
      status = {
        ...status,
        revision: restored.revision,
        hash: rollback.hash,
        observedGeneration: rollback.generation,
        state: "rolled-back",
        message,
        startedAt: iso,
        progressAt: iso,
        updatedAt: iso,
      };
      event = { type: "Warning", reason: "RolledBack", message };
      rolledBackTo = { generation: rollback.generation };
    } else {
      const why = autoRollback
        ? "no earlier revision completed, nothing to roll back to"
        : "automatic rollback is off";
      status = { ...status, message: `${status.message} (${why})` };
      event = { type: "Warning", reason: "RolloutFailed", message: status.message };
    }
  }

  if (decision.changed || rolledBackTo) {
    ops.push(
      input.status
        ? { op: "set", key: keys.rollout(name), value: status, version: input.status.version }
        : { op: "create", key: keys.rollout(name), value: status },
    );
  }
  ops.push(...pruneOps(name, revisions, ops));

  const step: RolloutStep = { ops };
  if (ops.length > 0) {
    if (event) step.event = event;
    if (rolledBackTo) step.rolledBackTo = rolledBackTo;
    if (decision.started) step.started = current.revision;
  }
  const waits = [input.nextAvailableAt, rolledBackTo ? undefined : decision.deadlineAt]
    .filter((at): at is number => at !== undefined)
    .map((at) => Math.max(0, at - now) + 50);
  if (waits.length > 0) step.requeueAfterMs = Math.min(...waits);
  return step;
}

/** Oldest revisions beyond the limit, counting those `ops` create and delete. */
function pruneOps(name: string, revisions: Revision[], ops: TxOp[]): TxOp[] {
  const deleted = new Set(ops.filter((op) => op.op === "delete").map((op) => op.key));
  const created = ops.filter((op) => op.op === "create" && op.key.startsWith(keys.revisions(name))).length;
  const kept = sortRevisions(revisions).filter(
    (revision) => !deleted.has(keys.revision(name, revision.revision)),
  );
  const excess = kept.length + created - REVISION_HISTORY_LIMIT;
  return kept.slice(0, Math.max(0, excess)).map((revision) => ({
    op: "delete",
    key: keys.revision(name, revision.revision),
  }));
}

function revisionWrite(name: string, revision: Revision, history: readonly Versioned<Revision>[]): TxOp {
  const stored = history.find((entry) => entry.value.revision === revision.revision);
  return stored
    ? { op: "set", key: keys.revision(name, revision.revision), value: revision, version: stored.version }
    : { op: "create", key: keys.revision(name, revision.revision), value: revision };
}
