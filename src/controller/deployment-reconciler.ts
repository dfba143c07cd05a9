// reconcile(name) for one deployment: reads it and its pods from the caches, plans the difference and
// writes it in fenced transactions. Idempotent: with nothing to change it writes nothing.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { Deployment, Pod } from "../core/types.js";
import type { Informer } from "../machinery/informer.js";
import { keys } from "../store/keys.js";
import type { Lease, Store, TxOp } from "../store/store.js";
import { Expectations } from "./expectations.js";
import { planPods } from "./plan-pods.js";
import { podDeletionOps } from "./pod-deletion.js";
import { newPod } from "./pod-factory.js";

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
}

/** The index function the pod informer needs. */
export const podsByDeployment = (pod: Pod): string => pod.deployment;

export interface ReconcileOutcome {
  created: number;
  deleted: number;
}

export class DeploymentReconciler {
  readonly expectations: Expectations;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: DeploymentReconcilerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? makeLogger("controller");
    this.expectations = options.expectations ?? new Expectations(this.clock);
  }

  async reconcile(name: string): Promise<ReconcileOutcome> {
    const lease = this.options.lease();
    if (!lease) {
      this.log.debug({ deployment: name }, "not leading: skipped");
      return { created: 0, deleted: 0 };
    }
    const deployment = this.options.deployments.get(name);
    const cached = this.options.pods.byIndex(name).map((entry) => entry.value);
    const pods = this.expectations.apply(name, cached);
    const plan = planPods(deployment, pods);
    if (plan.create === 0 && plan.delete.length === 0) return { created: 0, deleted: 0 };

    const now = new Date(this.clock.now()).toISOString();
    const takenNames = new Set(pods.map((pod) => pod.name));
    const created = deployment
      ? Array.from({ length: plan.create }, () => newPod(deployment, takenNames, now))
      : [];
    const changes: Change[] = [
      ...plan.delete.map((pod): Change => ({ ops: podDeletionOps(pod), deleted: pod })),
      ...created.map(
        (pod): Change => ({ ops: [{ op: "create", key: keys.pod(pod.id), value: pod }], created: pod }),
      ),
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
