// reconcile(name) for one deployment: reads it and its pods from the caches, plans the next rollout step
// (a plain scale when all pods are current), writes it in fenced transactions, then brings the rollout
// status and revision history up to date. Idempotent: with nothing to change it writes nothing.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { Deployment, Pod } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import type { Informer } from "../machinery/informer.js";
import { podCreateOps, podDeleteOps } from "../store/pod-ops.js";
import type { Lease, Store, TxOp } from "../store/store.js";
import { Expectations } from "./expectations.js";
import type { PodPlan } from "./plan-pods.js";
import { PodDrain } from "./pod-drain.js";
import { newPod } from "./pod-factory.js";
import { failingPodReason, planRollout } from "./rollout-plan.js";
import { RolloutReconciler } from "./rollout-reconciler.js";

/** Ops per transaction: keeps each commit (and a ZooKeeper multi) small. */
export const MAX_OPS_PER_TRANSACTION = 100;

export interface DeploymentReconcilerOptions {
  store: Store;
  deployments: Informer<Deployment>;
  /** Must be indexed by `pod.deployment` (see `podsByDeployment`). */
  pods: Informer<Pod>;
  /** The current lease; undefined when not leading, and then nothing is written. */
  lease: () => Lease | undefined;
  clock?: Clock;
  logger?: Logger;
  expectations?: Expectations;
  /** Where rollout events (complete, failed, rolled back) go. Default: nowhere. */
  events?: EventSink;
  /** Asks for another reconcile of `name` after `ms` (a pod becomes available, a deadline passes). */
  requeueAfter?: (name: string, ms: number) => void;
  /**
   * How long a removed ready pod keeps running, out of DNS, before it is deleted (see PodDrain).
   * Default 0: deleted at once.
   */
  drainMs?: number;
}

/** The index function the pod informer needs (one definition for every pods informer). */
export { podsByDeployment } from "../machinery/shared-informers.js";

export interface ReconcileOutcome {
  created: number;
  deleted: number;
}

export class DeploymentReconciler {
  readonly expectations: Expectations;
  readonly rollouts: RolloutReconciler;
  readonly drain: PodDrain;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: DeploymentReconcilerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? makeLogger("controller");
    this.expectations = options.expectations ?? new Expectations(this.clock);
    this.rollouts = new RolloutReconciler(options.store, this.log, options.events ?? noEvents);
    this.drain = new PodDrain(options.store, options.drainMs ?? 0, this.clock);
  }

  async reconcile(name: string): Promise<ReconcileOutcome> {
    const lease = this.options.lease();
    if (!lease) {
      this.log.debug({ deployment: name }, "not leading: skipped");
      return { created: 0, deleted: 0 };
    }
    const deployment = this.options.deployments.get(name);
    // Our own rollback is not in the cache yet: acting on the older spec would undo it.
    if (deployment && this.rollouts.isStale(deployment)) return { created: 0, deleted: 0 };
    const cached = this.options.pods.byIndex(name).map((entry) => entry.value);
    const pods = this.drain.overlay(name, this.expectations.apply(name, cached));
    const nowMs = this.clock.now();
    const plan = planRollout(deployment, pods, nowMs);
    // Ready pods leave DNS and drain before they go; drained ones and all others go now.
    const removal = this.drain.split(plan.delete, deployment !== undefined);
    const expired = deployment ? this.drain.expired(pods, nowMs) : [];
    const outcome = await this.writePods(
      name,
      deployment,
      pods,
      { create: plan.create, delete: [...removal.now, ...expired] },
      lease,
      nowMs,
    );
    if (removal.drain.length > 0) await this.drain.mark(removal.drain, lease, nowMs);
    plan.counts.totalReplicas += removal.drain.length;
    const drainEnd = this.drain.nextExpiry(
      pods.filter((pod) => !expired.includes(pod)),
      removal.drain.length > 0 ? nowMs + this.drain.drainMs : 0,
    );
    if (drainEnd !== undefined) this.options.requeueAfter?.(name, Math.max(0, drainEnd - nowMs) + 20);
    if (!deployment) {
      await this.rollouts.forget(name, lease);
      return outcome;
    }
    const sync = await this.rollouts.sync({
      deployment,
      deploymentVersion: this.options.deployments.entry(name)?.version ?? 0,
      plan,
      failing: failingPodReason(deployment, pods),
      lease,
      now: nowMs,
    });
    if (sync.requeueAfterMs !== undefined) this.options.requeueAfter?.(name, sync.requeueAfterMs);
    return outcome;
  }

  private async writePods(
    name: string,
    deployment: Deployment | undefined,
    pods: Pod[],
    plan: PodPlan,
    lease: Lease,
    nowMs: number,
  ): Promise<ReconcileOutcome> {
    if (plan.create === 0 && plan.delete.length === 0) return { created: 0, deleted: 0 };
    const now = new Date(nowMs).toISOString();
    const takenNames = new Set(pods.map((pod) => pod.name));
    const created = deployment
      ? Array.from({ length: plan.create }, () => newPod(deployment, takenNames, now))
      : [];
    const changes: Change[] = [
      ...plan.delete.map((pod): Change => ({ ops: podDeleteOps(pod), deleted: pod })),
      ...created.map((pod): Change => ({ ops: podCreateOps(pod), created: pod })),
    ];
    for (const chunk of chunkChanges(changes, MAX_OPS_PER_TRANSACTION)) await this.commit(name, chunk, lease);
    this.log.info(
      {
        deployment: name,
        hash: deployment?.hash,
        replicas: deployment?.replicas ?? 0,
        created: created.length,
        deleted: plan.delete.length,
      },
      deployment ? "pods reconciled" : "deployment gone: pods deleted",
    );
    return { created: created.length, deleted: plan.delete.length };
  }

  private async commit(deployment: string, chunk: Change[], lease: Lease): Promise<void> {
    const created = chunk.flatMap((change) => (change.created ? [change.created] : []));
    const deleted = chunk.flatMap((change) => (change.deleted ? [change.deleted.id] : []));
    this.expectations.expect(deployment, created, deleted);
    try {
      await this.options.store.transaction(
        chunk.flatMap((change) => change.ops),
        lease,
      );
    } catch (err) {
      // All or nothing: none of this chunk happened, so expect none of it.
      this.expectations.cancel(deployment, created, deleted);
      throw err;
    }
  }
}

interface Change {
  ops: TxOp[];
  created?: Pod;
  deleted?: Pod;
}

/** Groups changes into transactions of at most `maxOps` ops, never splitting one change. */
function chunkChanges(changes: Change[], maxOps: number): Change[][] {
  const chunks: Change[][] = [];
  let current: Change[] = [];
  let size = 0;
  for (const change of changes) {
    if (size + change.ops.length > maxOps && current.length > 0) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(change);
    size += change.ops.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
