// The rollout part of a deployment's reconcile, acting only: reads the revision history and rollout status,
// lets `planRolloutStep` (rollout-progress.ts) decide what to write, commits it and records the event.
// Only the leading controller writes these keys, so it caches what it wrote (re-read on a failed write).
import type { Logger } from "../core/logger.js";
import type { Deployment, Revision, RolloutStatus } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import { keys } from "../store/keys.js";
import type { Lease, Store, TxOp } from "../store/store.js";
import type { RolloutPlan } from "./rollout-plan.js";
import { type Versioned as Cached, planRolloutStep } from "./rollout-progress.js";

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

  /** The state of each deployment's latest rollout, as last read or written (for orchestra_rollouts). */
  *states(): Iterable<string> {
    for (const cached of this.statuses.values()) if (cached) yield cached.value.state;
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

  /** Plans the rollout step from the cached history and status (`planRolloutStep`), then commits it. */
  async sync(input: RolloutSyncInput): Promise<RolloutSyncOutcome> {
    const { deployment, plan, lease } = input;
    const name = deployment.name;
    const step = planRolloutStep({
      deployment,
      deploymentVersion: input.deploymentVersion,
      history: await this.history(name),
      status: await this.status(name),
      counts: plan.counts,
      nextAvailableAt: plan.nextAvailableAt,
      failing: input.failing,
      now: input.now,
    });
    if (step.ops.length > 0) {
      try {
        await this.store.transaction(step.ops, lease);
      } catch (err) {
        this.statuses.delete(name);
        this.histories.delete(name);
        throw err;
      }
      this.afterCommit(name, step.ops);
      if (step.rolledBackTo)
        this.rollbacks.set(name, {
          generation: step.rolledBackTo.generation,
          createdAt: deployment.createdAt,
        });
      if (step.started !== undefined)
        this.log.info({ deployment: name, revision: step.started, hash: deployment.hash }, "rollout started");
      if (step.event) {
        this.events.record({ ...step.event, object: `deployment/${name}`, deployment: name });
        this.log[step.event.type === "Warning" ? "warn" : "info"]({ deployment: name }, step.event.message);
      }
    }
    const outcome: RolloutSyncOutcome = {};
    if (step.requeueAfterMs !== undefined) outcome.requeueAfterMs = step.requeueAfterMs;
    if (step.rolledBackTo) outcome.rolledBack = true;
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
