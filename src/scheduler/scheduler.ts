// The Scheduler component: informers on /pods and /nodes; unbound pods are queued and placed in batches by
// the pure `schedule`, and the plan is committed with version-checked, fenced writes. Only the leader works.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, systemClock } from "../core/clock.js";
import { FencedError } from "../core/errors.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { effectiveNode, type NodeConfig } from "../core/node-config.js";
import { bind, markUnschedulable, UNSCHEDULABLE } from "../core/pod-transitions.js";
import type { NodeInfo, Pod, VolumeReport } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import type { Informer } from "../machinery/informer.js";
import { LeaderLoop } from "../machinery/leader-loop.js";
import { SharedInformers } from "../machinery/shared-informers.js";
import { WorkQueue } from "../machinery/work-queue.js";
import { schedulingAttempts, schedulingDuration, secondsSince } from "../metrics/metrics.js";
import { keys } from "../store/keys.js";
import type { Entry, Lease, Store } from "../store/store.js";
import { commitPodWrites, type PodWrite } from "./binding.js";
import type { Pipeline } from "./framework.js";
import { defaultPipeline } from "./pipeline.js";
import { type ScheduleResult, schedule } from "./schedule.js";

export interface SchedulerOptions {
  /** This process's name in the leader election. Default: host name, pid and a random tag. */
  candidate?: string;
  /**
   * Binding transactions in flight at once. Decisions themselves run in one loop, so that every batch
   * sees the bindings of the batch before it.
   */
  workers?: number;
  /** Most pods placed in one decision. Default 500. */
  batchSize?: number;
  /** The process's informers, shared by its components. Default: its own, started and stopped with it. */
  informers?: SharedInformers;
  /** Period of its own informers' safety-net re-list (which also re-queues every unbound pod). Default 30 s. */
  resyncMs?: number;
  pipeline?: Pipeline;
  /** Where Scheduled and FailedScheduling events go. Default: nowhere. */
  events?: EventSink;
  clock?: Clock;
  logger?: Logger;
}

/** How long a binding we wrote counts even though the pod cache does not show it yet. */
const ASSUME_TTL_MS = 30_000;

export class Scheduler {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<NodeInfo>;
  /** Cordon flags and labels users set (`/nodeconfig`), merged into the registrations in every snapshot. */
  readonly nodeConfigs: Informer<NodeConfig>;
  /** Which node holds which named volume (`/volumes`), reported by the workers. */
  readonly volumes: Informer<VolumeReport>;
  private readonly leader: LeaderLoop;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly workers: number;
  private readonly batchSize: number;
  private readonly pipeline: Pipeline;
  private readonly events: EventSink;
  /** Bindings written but not yet seen in the pod cache: pod id → node. Counted in every snapshot. */
  private readonly assumed = new Map<string, { node: string; at: number }>();
  /** Pods that fit nowhere last time: tried again when nodes change or capacity frees up. */
  private readonly unschedulable = new Set<string>();
  private queue?: WorkQueue<string>;
  private loop?: Promise<void>;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    options: SchedulerOptions = {},
  ) {
    const candidate = options.candidate ?? `${hostname()}-${process.pid}-${randomBytes(2).toString("hex")}`;
    this.clock = options.clock ?? systemClock;
    this.workers = options.workers ?? 4;
    this.batchSize = options.batchSize ?? 500;
    this.pipeline = options.pipeline ?? defaultPipeline;
    this.events = options.events ?? noEvents;
    this.log = options.logger ?? makeLogger("scheduler", { candidate });
    const { informers, lifecycle } = SharedInformers.forComponent(store, options.informers, {
      clock: this.clock,
      resyncMs: options.resyncMs,
      logger: this.log,
    });
    this.pods = informers.pods();
    this.nodes = informers.nodes();
    this.nodeConfigs = informers.nodeConfigs();
    this.volumes = informers.volumes();
    this.leader = new LeaderLoop({
      store,
      election: keys.elections.scheduler,
      candidate,
      clock: this.clock,
      logger: this.log,
      onElected: () => this.startWorking(),
      onDeposed: () => this.stopWorking(),
      caches: [lifecycle],
    });
    this.watchForWork();
  }

  get leading(): boolean {
    return this.leader.leading;
  }

  /** Fills the caches, then joins the election; the leader starts scheduling. */
  async start(): Promise<void> {
    await this.leader.start();
    this.log.info("started");
  }

  /** Stops watching, lets the batch in flight finish its writes, and resigns leadership. */
  async stop(): Promise<void> {
    await this.leader.stop();
    this.log.info("stopped");
  }

  /** Resolves when no pod is queued or being placed (immediately when not leading). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Watch events only enqueue pod ids. */
  private watchForWork(): void {
    const enqueue = (id: string) => this.queue?.add(id);
    this.pods.addHandlers({
      onAdd: (id, pod) => {
        if (pod.node === undefined) enqueue(id);
        else this.assumed.delete(id);
      },
      onUpdate: (id, old, pod) => {
        if (pod.node !== undefined) {
          this.assumed.delete(id);
          this.unschedulable.delete(id);
        } else if (old.node !== undefined) {
          enqueue(id); // unbound by someone: place it again
        }
      },
      onDelete: (id, pod) => {
        this.assumed.delete(id);
        this.unschedulable.delete(id);
        // A bound pod gone frees capacity on its node.
        if (pod.node !== undefined) this.retryUnschedulable();
      },
      onResync: () => this.enqueueUnbound(),
    });
    this.nodes.addHandlers({
      onAdd: () => this.retryUnschedulable(),
      onUpdate: (_name, old, node) => {
        if (
          old.schedulable !== node.schedulable ||
          JSON.stringify(old.labels) !== JSON.stringify(node.labels) ||
          old.address !== node.address ||
          JSON.stringify(old.capacity) !== JSON.stringify(node.capacity)
        ) {
          this.retryUnschedulable();
        }
      },
      // Pods bound to a node that is gone keep their binding here. Moving them is fault handling: the node
      // lifecycle loop in the controller (node-lifecycle.ts) decides when a node is lost and unbinds its
      // pods; the scheduler then sees them as unbound pods like any other.
      onDelete: () => this.retryUnschedulable(),
      onResync: () => this.enqueueUnbound(),
    });
    // Uncordoning or relabelling a node may make room for pods that fit nowhere.
    this.nodeConfigs.addHandlers({
      onAdd: () => this.retryUnschedulable(),
      onUpdate: () => this.retryUnschedulable(),
      onDelete: () => this.retryUnschedulable(),
    });
    // A volume purged (its deployment deleted with --purge-volumes) ties its pods to no node any more.
    this.volumes.addHandlers({ onDelete: () => this.retryUnschedulable() });
  }

  private retryUnschedulable(): void {
    if (!this.queue) return;
    for (const id of this.unschedulable) this.queue.add(id);
  }

  private enqueueUnbound(): void {
    if (!this.queue) return;
    for (const entry of this.pods.entries()) {
      if (entry.value.node === undefined) this.queue.add(entry.value.id);
    }
  }

  private startWorking(): void {
    this.assumed.clear();
    this.unschedulable.clear();
    const queue = new WorkQueue<string>({ clock: this.clock, name: "scheduler" });
    this.queue = queue;
    this.loop = this.run(queue);
    this.enqueueUnbound();
    this.log.info({ nodes: this.nodes.size, pods: this.pods.size }, "leading: scheduling");
  }

  private async stopWorking(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    queue?.shutDown();
    await this.loop;
    this.loop = undefined;
    this.wakeIdle();
    this.log.info("no longer leading: stopped scheduling");
  }

  private async run(queue: WorkQueue<string>): Promise<void> {
    for (;;) {
      const ids = await queue.getBatch(this.batchSize);
      if (ids.length === 0) return;
      const startedAt = performance.now();
      try {
        await this.scheduleBatch(ids, queue);
        schedulingDuration.observe(secondsSince(startedAt));
      } catch (err) {
        schedulingAttempts.inc({ result: "error" }, ids.length);
        if (err instanceof FencedError) {
          // The lease is gone; the store's deposed notice follows. Place nothing more meanwhile.
          this.log.warn({ err: err.message }, "binding fenced: no longer the leader");
          queue.shutDown();
        } else {
          this.log.warn({ err, pods: ids.length }, "scheduling batch failed: retrying with backoff");
          for (const id of ids) queue.addRateLimited(id);
        }
      } finally {
        for (const id of ids) queue.done(id);
      }
      if (this.isIdle()) this.wakeIdle();
    }
  }

  /** One decision over the queued pods that are still unbound, and its commit. */
  private async scheduleBatch(ids: string[], queue: WorkQueue<string>): Promise<void> {
    const lease = this.leader.lease;
    if (!lease) return;
    const pending: Readonly<Entry<Pod>>[] = [];
    for (const id of ids) {
      const entry = this.pods.entry(id);
      if (entry && entry.value.node === undefined && !this.assumed.has(id)) pending.push(entry);
    }
    if (pending.length === 0) return;
    // Oldest first, so a burst of new pods cannot starve the ones waiting longest.
    pending.sort(
      (a, b) => compare(a.value.createdAt, b.value.createdAt) || compare(a.value.name, b.value.name),
    );

    const result = schedule(
      { nodes: this.nodeSnapshot(), pods: this.podsWithAssumedBindings(), volumes: this.volumes.list() },
      pending.map((entry) => entry.value),
      this.pipeline,
    );
    await this.commit(result, pending, lease, queue);
  }

  private async commit(
    result: ScheduleResult,
    pending: Readonly<Entry<Pod>>[],
    lease: Lease,
    queue: WorkQueue<string>,
  ): Promise<void> {
    const byId = new Map(pending.map((entry) => [entry.value.id, entry]));
    const nowMs = this.clock.now();
    const now = new Date(nowMs).toISOString();
    const writes: PodWrite[] = [];
    for (const { podId, node } of result.bindings) {
      const entry = byId.get(podId) as Readonly<Entry<Pod>>;
      this.assumed.set(podId, { node, at: nowMs });
      writes.push({
        id: podId,
        version: entry.version,
        previousNode: entry.value.node,
        value: bind(entry.value, node, now),
      });
    }
    for (const { podId, message } of result.unschedulable) {
      const entry = byId.get(podId) as Readonly<Entry<Pod>>;
      this.unschedulable.add(podId);
      const status = entry.value.status;
      if (status.message === message && status.reason === UNSCHEDULABLE) continue;
      writes.push({
        id: podId,
        version: entry.version,
        previousNode: entry.value.node,
        value: markUnschedulable(entry.value, message, now),
      });
    }
    let outcome: Awaited<ReturnType<typeof commitPodWrites>>;
    try {
      outcome = await commitPodWrites(this.store, lease, writes, { concurrency: this.workers });
    } catch (err) {
      for (const { podId } of result.bindings) this.assumed.delete(podId);
      throw err;
    }
    // The node of each binding from the plan itself: the watch may already have seen the binding and dropped the
    // pod from `assumed` by the time the write resolves.
    const boundTo = new Map(result.bindings.map((binding) => [binding.podId, binding.node]));
    const messages = new Map(result.unschedulable.map(({ podId, message }) => [podId, message]));
    let bound = 0;
    for (const id of outcome.written) {
      queue.forget(id);
      const pod = (byId.get(id) as Readonly<Entry<Pod>>).value;
      const node = boundTo.get(id);
      if (node !== undefined) {
        bound++;
        this.unschedulable.delete(id);
        this.log.debug({ pod: id, node }, "bound");
        this.recordEvent(pod, "Normal", "Scheduled", `assigned to node ${node}`);
      } else {
        // Written only when the message changed: one event per new reason, not one per retry.
        this.recordEvent(pod, "Warning", "FailedScheduling", messages.get(id) ?? "");
      }
    }
    schedulingAttempts.inc({ result: "scheduled" }, bound);
    schedulingAttempts.inc({ result: "unschedulable" }, result.unschedulable.length);
    schedulingAttempts.inc({ result: "conflict" }, outcome.failed.length);
    for (const { id, error } of outcome.failed) {
      // Changed or gone since we read it: the watch brings the new version, then we look again.
      this.assumed.delete(id);
      this.log.debug({ pod: id, err: error }, "pod write failed: retrying");
      queue.addRateLimited(id);
    }
    for (const { podId, message } of result.unschedulable)
      this.log.debug({ pod: podId, message }, "unschedulable");
    this.log.info(
      { bound, unschedulable: result.unschedulable.length, retrying: outcome.failed.length },
      "batch scheduled",
    );
  }

  /** The registered nodes as users configured them (cordoned, relabelled). */
  private nodeSnapshot(): NodeInfo[] {
    return this.nodes.list().map((node) => effectiveNode(node, this.nodeConfigs.get(node.name)));
  }

  /** The cached pods with the bindings we wrote and the cache has not shown yet. */
  private podsWithAssumedBindings(): Pod[] {
    const expiredBefore = this.clock.now() - ASSUME_TTL_MS;
    for (const [id, { at }] of this.assumed) if (at < expiredBefore) this.assumed.delete(id);
    const pods = this.pods.list();
    if (this.assumed.size === 0) return pods;
    return pods.map((pod) => {
      const assumed = pod.node === undefined ? this.assumed.get(pod.id) : undefined;
      return assumed ? { ...pod, node: assumed.node } : pod;
    });
  }

  private recordEvent(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void {
    // Recorded only on a change already, so each event is news: never folded into an earlier one's count.
    this.events.record(
      { type, reason, object: `pod/${pod.name}`, deployment: pod.deployment, message },
      { counted: false },
    );
  }

  private isIdle(): boolean {
    const queue = this.queue;
    return !queue || queue.isShutDown || (queue.length === 0 && queue.inFlight === 0);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
