// The rollout part of a deployment's reconcile: records revisions as new templates appear, keeps
// /rollouts/<deployment> current, and on failure rolls the deployment back to its last good revision.
// Only the leading controller writes these keys, so it caches what it wrote (re-read on a failed write).
import { resolveStrategy } from "../core/defaults.js";
import type { Logger } from "../core/logger.js";
import { podTemplateOf } from "../core/revision.js";
import type { Deployment, Revision, RolloutStatus } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import { keys } from "../store/keys.js";
import type { Lease, Store, TxOp } from "../store/store.js";
import {
  deploymentAtRevision,
  describeChange,
  lastGoodRevision,
  REVISION_HISTORY_LIMIT,
  sortRevisions,
} from "./revisions.js";
import { isComplete, type RolloutPlan } from "./rollout-plan.js";
import { advanceRollout } from "./rollout-progress.js";

interface Cached<T> {
  value: T;
  version: number;
}

export interface RolloutSyncInput {
  deployment: Deployment;
  /** The deployment's store version, for the compare-and-set of a rollback. */
  deploymentVersion: number;
  plan: RolloutPlan;
  /** Why new pods are failing for good, if they are (see `failingPodReason`). */
  failing: string | undefined;
  lease: Lease;
  now: number;
}

export interface RolloutSyncOutcome {
  /** Reconcile again after this long: a pod becomes available, or the progress deadline passes. */
  requeueAfterMs?: number;
  rolledBack?: boolean;
}

export class RolloutReconciler {
  private readonly statuses = new Map<string, Cached<RolloutStatus> | null>();
  private readonly histories = new Map<string, Cached<Revision>[]>();
  /** Rollbacks we wrote that the deployment cache may not show yet. */
  private readonly rollbacks = new Map<string, { generation: number; createdAt: string }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly events: EventSink = noEvents,
  ) {}

  /** Forget every cached value (a new leadership starts from the store). */
  clear(): void {
    this.statuses.clear();
    this.histories.clear();
    this.rollbacks.clear();
  }

  /** True when the deployment cache lags behind a rollback we wrote: do nothing until it catches up. */
  isStale(deployment: Deployment): boolean {
    const written = this.rollbacks.get(deployment.name);
    if (written === undefined) return false;
    // A generation at least as new as ours (ours, or a later edit), or another deployment of that name.
    if (deployment.generation >= written.generation || deployment.createdAt !== written.createdAt) {
      this.rollbacks.delete(deployment.name);
      return false;
    }
    return true;
  }

  async sync(input: RolloutSyncInput): Promise<RolloutSyncOutcome> {
    const { deployment, plan, now, lease } = input;
    const name = deployment.name;
    const iso = new Date(now).toISOString();
    const history = await this.history(name);
    const ops: TxOp[] = [];
    const revisions = history.map((entry) => entry.value);
    let current = revisions.find((revision) => revision.hash === deployment.hash);
    const newest = sortRevisions(revisions).at(-1);
    let nextNumber = (newest?.revision ?? 0) + 1;
    let created = false;

    if (!current || current !== newest) {
      // A new template, or an older one back again (an undo): it becomes the newest revision.
      const template = podTemplateOf(deployment);
      const cause = current
        ? `rollback to revision ${current.revision}`
        : describeChange(newest?.template, template);
      const fresh: Revision = {
        revision: nextNumber++,
        hash: deployment.hash,
        template,
        createdAt: iso,
        cause,
        ...(current?.completedAt ? { completedAt: current.completedAt } : {}),
      };
      if (current) ops.push({ op: "delete", key: keys.revision(name, current.revision) });
      ops.push({ op: "create", key: keys.revision(name, fresh.revision), value: fresh });
      current = fresh;
      created = true;
    }

    const previous = (await this.status(name))?.value;
    const decision = advanceRollout({
      deployment,
      previous,
      revision: current.revision,
      counts: plan.counts,
      failing: input.failing,
      now,
    });
    let status = decision.status;
    let event: { type: "Normal" | "Warning"; reason: string; message: string } | undefined;

    if (isComplete(plan.counts) && current.completedAt === undefined) {
      // A revision created by these same ops (our own object) is written once, already complete;
      // a cached one is copied, never changed in place.
      if (created) current.completedAt = iso;
      else {
        current = { ...current, completedAt: iso };
        ops.push(revisionWrite(name, current, history));
      }
    }
    if (decision.completed && status.state === "complete")
      event = { type: "Normal", reason: "RolloutComplete", message: status.message };

    let rolledBack = false;
    if (decision.failed !== undefined) {
      const target = resolveStrategy(deployment.strategy).autoRollback
        ? lastGoodRevision(revisions, deployment.hash)
        : undefined;
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
        rolledBack = true;
      } else {
        const why = resolveStrategy(deployment.strategy).autoRollback
          ? "no earlier revision completed, nothing to roll back to"
          : "automatic rollback is off";
        status = { ...status, message: `${status.message} (${why})` };
        event = { type: "Warning", reason: "RolloutFailed", message: status.message };
      }
    }

    const cachedStatus = this.statuses.get(name);
    if (decision.changed || rolledBack) {
      ops.push(
        cachedStatus
          ? { op: "set", key: keys.rollout(name), value: status, version: cachedStatus.version }
          : { op: "create", key: keys.rollout(name), value: status },
      );
    }
    ops.push(...this.pruneOps(name, revisions, ops));

    if (ops.length > 0) {
      try {
        await this.store.transaction(ops, lease);
      } catch (err) {
        this.statuses.delete(name);
        this.histories.delete(name);
        throw err;
      }
      this.afterCommit(name, ops);
      if (rolledBack)
        this.rollbacks.set(name, { generation: status.observedGeneration, createdAt: deployment.createdAt });
      if (decision.started)
        this.log.info(
          { deployment: name, revision: current.revision, hash: deployment.hash },
          "rollout started",
        );
      if (event) {
        this.events.record({ ...event, object: `deployment/${name}`, deployment: name });
        this.log[event.type === "Warning" ? "warn" : "info"]({ deployment: name }, event.message);
      }
    }

    const waits = [plan.nextAvailableAt, rolledBack ? undefined : decision.deadlineAt]
      .filter((at): at is number => at !== undefined)
      .map((at) => Math.max(0, at - now) + 50);
    const outcome: RolloutSyncOutcome = {};
    if (waits.length > 0) outcome.requeueAfterMs = Math.min(...waits);
    if (rolledBack) outcome.rolledBack = true;
    return outcome;
  }

  /** The deployment is gone: so are its rollout status and history. */
  async forget(name: string, lease: Lease): Promise<void> {
    const status = await this.status(name);
    const history = await this.history(name);
    const ops: TxOp[] = history.map((entry) => ({
      op: "delete",
      key: keys.revision(name, entry.value.revision),
    }));
    if (status) ops.push({ op: "delete", key: keys.rollout(name) });
    if (ops.length === 0) return;
    try {
      await this.store.transaction(ops, lease);
    } finally {
      this.statuses.delete(name);
      this.histories.delete(name);
    }
  }

  private async status(name: string): Promise<Cached<RolloutStatus> | null> {
    let cached = this.statuses.get(name);
    if (cached === undefined) {
      const entry = await this.store.get<RolloutStatus>(keys.rollout(name));
      cached = entry ? { value: entry.value, version: entry.version } : null;
      this.statuses.set(name, cached);
    }
    return cached;
  }

  private async history(name: string): Promise<Cached<Revision>[]> {
    let cached = this.histories.get(name);
    if (cached === undefined) {
      const entries = await this.store.list<Revision>(keys.revisions(name));
      cached = entries
        .map((entry) => ({ value: entry.value, version: entry.version }))
        .sort((a, b) => a.value.revision - b.value.revision);
      this.histories.set(name, cached);
    }
    return cached;
  }

  /** Oldest revisions beyond the limit, counting those `ops` create and delete. */
  private pruneOps(name: string, revisions: Revision[], ops: TxOp[]): TxOp[] {
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

  /** Brings the caches up to what the committed ops wrote. */
  private afterCommit(name: string, ops: TxOp[]): void {
    const history = new Map((this.histories.get(name) ?? []).map((entry) => [entry.value.revision, entry]));
    const prefix = `${keys.revisions(name)}/`;
    for (const op of ops) {
      if (op.op === "check") continue;
      if (op.key === keys.rollout(name)) {
        const version = op.op === "create" ? 0 : (this.statuses.get(name)?.version ?? -1) + 1;
        if (op.op === "delete") this.statuses.set(name, null);
        else this.statuses.set(name, { value: op.value as RolloutStatus, version });
      } else if (op.key.startsWith(prefix)) {
        const number = Number(op.key.slice(prefix.length));
        if (op.op === "delete") history.delete(number);
        else {
          const version = op.op === "create" ? 0 : (history.get(number)?.version ?? -1) + 1;
          history.set(number, { value: op.value as Revision, version });
        }
      }
    }
    this.histories.set(
      name,
      [...history.values()].sort((a, b) => a.value.revision - b.value.revision),
    );
  }
}

function revisionWrite(name: string, revision: Revision, history: Cached<Revision>[]): TxOp {
  const stored = history.find((entry) => entry.value.revision === revision.revision);
  return stored
    ? { op: "set", key: keys.revision(name, revision.revision), value: revision, version: stored.version }
    : { op: "create", key: keys.revision(name, revision.revision), value: revision };
}
