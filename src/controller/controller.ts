// The Controller component: keeps each deployment at exactly `replicas` pods of its current revision.
// Informers on /deployments and /pods feed a work queue keyed by deployment name; only the leader works it.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { Deployment, NodeInfo, Pod } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import type { Informer } from "../machinery/informer.js";
import { LeaderLoop } from "../machinery/leader-loop.js";
import { Reconciler } from "../machinery/reconciler.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";
import { backfillAssignments } from "./assignment-backfill.js";
import { attachClusterMetrics } from "./cluster-metrics.js";
import { DeploymentReconciler, type ReconcileOutcome } from "./deployment-reconciler.js";
import { NodeLifecycle } from "./node-lifecycle.js";
import type { NodeLossOptions } from "./node-loss-plan.js";

export interface ControllerOptions {
  /** This process's name in the leader election. Default: host name, pid and a random tag. */
  candidate?: string;
  /** Deployments reconciled in parallel. Default 4. */
  workers?: number;
  /** The process's informers, shared by its components. Default: its own, started and stopped with it. */
  informers?: SharedInformers;
  /** Period of its own informers' safety-net re-list (which also re-queues every deployment). Default 30 s. */
  resyncMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Where rollout events go (an EventRecorder in the entry points). Default: nowhere. */
  events?: EventSink;
  /**
   * How long a removed ready pod keeps serving, out of DNS, before it is deleted. Default 5 s: the TTL of
   * cluster DNS answers, so that a client that resolved the pod just before is still answered.
   */
  drainMs?: number;
  /** When a node whose registration is gone counts as lost, and the mass-loss guard (see decideNodeLoss). */
  nodeLoss?: Partial<NodeLossOptions>;
}

export const DEFAULT_DRAIN_MS = 5_000;

export class Controller {
  readonly deployments: Informer<Deployment>;
  readonly pods: Informer<Pod>;
  /** Worker registrations, for the node lifecycle loop. */
  readonly nodes: Informer<NodeInfo>;
  readonly nodeLifecycle: NodeLifecycle;
  private readonly reconciler: DeploymentReconciler;
  private readonly leader: LeaderLoop;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly workers: number;
  private runner?: Reconciler<string>;
  private detachMetrics?: () => void;

  constructor(
    private readonly store: Store,
    options: ControllerOptions = {},
  ) {
    const candidate = options.candidate ?? defaultCandidate();
    this.clock = options.clock ?? systemClock;
    this.workers = options.workers ?? 4;
    this.log = options.logger ?? makeLogger("controller", { candidate });
    const { informers, lifecycle } = SharedInformers.forComponent(store, options.informers, {
      clock: this.clock,
      resyncMs: options.resyncMs,
      logger: this.log,
    });
    this.deployments = informers.deployments();
    this.pods = informers.pods();
    this.nodes = informers.nodes();
    this.leader = new LeaderLoop({
      store,
      election: keys.elections.controller,
      candidate,
      clock: this.clock,
      logger: this.log,
      onElected: () => this.startWorking(),
      onDeposed: () => this.stopWorking(),
      caches: [lifecycle],
    });
    this.reconciler = new DeploymentReconciler({
      store,
      deployments: this.deployments,
      pods: this.pods,
      lease: () => this.leader.lease,
      clock: this.clock,
      logger: this.log,
      events: options.events ?? noEvents,
      requeueAfter: (name, ms) => this.runner?.queue.addAfter(name, ms),
      drainMs: options.drainMs ?? DEFAULT_DRAIN_MS,
    });
    // Node lifecycle lives here rather than in the scheduler: moving pods off a lost node is fault handling
    // (Kubernetes' node-lifecycle controller), and the scheduler stays a pure placement of unbound pods.
    this.nodeLifecycle = new NodeLifecycle({
      store,
      nodes: this.nodes,
      pods: this.pods,
      lease: () => this.leader.lease,
      events: options.events ?? noEvents,
      logger: this.log,
      clock: this.clock,
      loss: options.nodeLoss,
    });
    this.watchForWork();
  }

  get leading(): boolean {
    return this.leader.leading;
  }

  /** Fills the caches, then joins the election; the leader starts reconciling. */
  async start(): Promise<void> {
    await this.leader.start();
    this.log.info("started");
  }

  /** Stops watching, lets the reconciles in flight finish their writes, and resigns leadership. */
  async stop(): Promise<void> {
    await this.leader.stop();
    this.log.info("stopped");
  }

  /** One reconcile of deployment `name` (what the workers run); writes only while leading. */
  reconcile(name: string): Promise<ReconcileOutcome> {
    return this.reconciler.reconcile(name);
  }

  /** Resolves when no deployment is queued or being reconciled (immediately when not leading). */
  whenIdle(): Promise<void> {
    return this.runner?.whenIdle() ?? Promise.resolve();
  }

  /** Watch events only enqueue the deployment's name; the reconcile reads the current state itself. */
  private watchForWork(): void {
    const enqueue = (name: string) => this.runner?.enqueue(name);
    this.deployments.addHandlers({
      onAdd: (name) => enqueue(name),
      onUpdate: (name) => enqueue(name),
      onDelete: (name) => enqueue(name),
      onResync: () => this.enqueueAll(),
    });
    this.pods.addHandlers({
      onAdd: (_id, pod) => {
        this.reconciler.expectations.observedCreate(pod);
        enqueue(pod.deployment);
      },
      onDelete: (_id, pod) => {
        this.reconciler.expectations.observedDelete(pod);
        enqueue(pod.deployment);
      },
      // Readiness moves a rollout forward (or fails it); other status changes do not matter here.
      onUpdate: (_id, before, after) => {
        if (rolloutRelevant(before) !== rolloutRelevant(after)) enqueue(after.deployment);
      },
      onResync: () => this.enqueueAll(),
    });
  }

  /** Every deployment, and every deployment that pods still name (pods of deleted deployments). */
  private enqueueAll(): void {
    const runner = this.runner;
    if (!runner) return;
    for (const name of this.deployments.names()) runner.enqueue(name);
    for (const pod of this.pods.list()) runner.enqueue(pod.deployment);
  }

  private startWorking(): void {
    this.reconciler.expectations.clear();
    this.reconciler.rollouts.clear();
    this.reconciler.drain.clear();
    this.runner = new Reconciler<string>({
      reconcile: async (name) => {
        await this.reconciler.reconcile(name);
      },
      workers: this.workers,
      clock: this.clock,
      logger: this.log,
      name: "deployments",
    });
    this.runner.start();
    this.detachMetrics = attachClusterMetrics({
      pods: this.pods,
      nodes: this.nodes,
      rolloutStates: () => this.reconciler.rollouts.states(),
    });
    this.enqueueAll();
    this.nodeLifecycle.start();
    const lease = this.leader.lease;
    if (lease) {
      // Writes to a pod lacking its assignment fail (and are retried) until this is done.
      backfillAssignments(this.store, this.pods.entries(), lease, this.log).catch((err: unknown) =>
        this.log.warn({ err }, "creating missing assignments failed; the next election tries again"),
      );
    }
    this.log.info({ deployments: this.deployments.size, pods: this.pods.size }, "leading: reconciling");
  }

  private async stopWorking(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    this.detachMetrics?.();
    this.detachMetrics = undefined;
    await Promise.all([runner?.stop(), this.nodeLifecycle.stop()]);
    this.log.info("no longer leading: stopped reconciling");
  }
}

function defaultCandidate(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString("hex")}`;
}

/** The part of a pod's state that a rollout decision reads (the reason: a start refused for good fails it). */
function rolloutRelevant(pod: Pod): string {
  const { phase, ready, readySince, health, restarts, reason } = pod.status;
  return JSON.stringify([pod.hash, pod.node, phase, ready, readySince, health, restarts, reason]);
}
