// The worker: one per machine. Registers its node, runs the pods bound to it as containers, reports their
// status, replaces containers that die, removes containers of pods that are no longer its own.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { NodeInfo, Pod, PodStatus } from "../core/types.js";
import { Informer } from "../machinery/informer.js";
import { Reconciler } from "../machinery/reconciler.js";
import { ImageNotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import type { ContainerInfo, ContainerRuntime, EventSubscription, NetworkInfo } from "../runtime/runtime.js";
import { keys } from "../store/keys.js";
import { baseName, type Store } from "../store/store.js";
import { containerSpecFor } from "./container-spec.js";
import { CrashBackoff, type CrashBackoffOptions } from "./crash-backoff.js";
import { NodeRegistration } from "./node-registration.js";
import { writePodStatus } from "./pod-status-writer.js";

export interface WorkerOptions {
  store: Store;
  runtime: ContainerRuntime;
  /** Node name: unique in the cluster, a DNS label. */
  name: string;
  /** Address other machines reach this node at. */
  address: string;
  labels?: Record<string, string>;
  /** Bridge network the pods run on; created when missing. */
  network: { name: string; subnet?: string; gateway?: string };
  /** DNS servers and search domains for containers, when cluster DNS runs. */
  dns?: { servers: string[]; search: string[] };
  /** Seconds between SIGTERM and SIGKILL when a pod's container is stopped. Default 10. */
  stopGraceSeconds?: number;
  /** Parallel pod syncs (bounded concurrency towards the engine). Default 8. */
  concurrency?: number;
  /** Safety-net resync period. Default 30 s. */
  resyncMs?: number;
  crashBackoff?: CrashBackoffOptions;
  clock?: Clock;
}

export class Worker {
  readonly name: string;
  private readonly store: Store;
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pods: Informer<Pod>;
  private readonly reconciler: Reconciler<string>;
  private readonly crashes: CrashBackoff;
  /** Pods whose container crashed and waits out its backoff: when it may start again, and why it stopped. */
  private readonly restartDue = new Map<string, { at: number; exit: string }>();
  private registration?: NodeRegistration;
  private events?: EventSubscription;
  private networkInfo?: NetworkInfo;
  private cancelSweep?: () => void;
  private running = false;

  constructor(private readonly options: WorkerOptions) {
    this.name = options.name;
    this.store = options.store;
    this.runtime = options.runtime;
    this.clock = options.clock ?? systemClock;
    this.log = makeLogger("worker", { node: options.name });
    this.crashes = new CrashBackoff(this.clock, options.crashBackoff);
    this.pods = new Informer<Pod>(this.store, keys.pods, {
      clock: this.clock,
      resyncMs: options.resyncMs,
      logger: this.log.child({ informer: "pods" }),
      index: (pod) => pod.node,
    });
    this.reconciler = new Reconciler<string>({
      reconcile: (podId) => this.syncPod(podId),
      workers: options.concurrency ?? 8,
      clock: this.clock,
      logger: this.log,
    });
  }

  /** The network the pods run on, once started. */
  get network(): NetworkInfo | undefined {
    return this.networkInfo;
  }

  async start(): Promise<void> {
    this.running = true;
    const facts = await this.runtime.info();
    this.networkInfo = await this.runtime.ensureNetwork(this.options.network);
    const network = this.networkInfo;
    const registeredAt = new Date(this.clock.now()).toISOString();
    this.registration = new NodeRegistration(
      this.store,
      (): NodeInfo => ({
        name: this.name,
        address: this.options.address,
        labels: { ...this.options.labels },
        capacity: { cpu: facts.cpus * 1000, memory: facts.memoryBytes },
        podSubnet: network.subnet,
        schedulable: true,
        registeredAt,
      }),
      this.log,
    );

    // Follow the engine first, so that no death between the listing below and the watch goes unseen.
    this.events = this.runtime.events(
      (event) => {
        const podId = event.labels[LABEL_POD];
        if (podId) this.reconciler.enqueue(podId);
      },
      { labels: this.ownLabels(), onReconnect: () => void this.enqueueEverything() },
    );
    await this.events.ready;

    this.pods.addHandlers({
      onAdd: (id, pod) => this.onPodChange(id, undefined, pod),
      onUpdate: (id, old, pod) => this.onPodChange(id, old, pod),
      onDelete: (id, old) => this.onPodChange(id, old, undefined),
      onResync: () => void this.enqueueEverything(),
    });
    await this.pods.start();
    // Adopt what already runs here (a restart of this worker) before anything new is started.
    await this.enqueueEverything();
    this.reconciler.start();
    await this.registration.start();
    this.scheduleSweep();
    this.log.info({ network: network.name, subnet: network.subnet }, "worker started");
  }

  /** Stops acting; the pods' containers keep running and are adopted by the next start. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelSweep?.();
    this.events?.stop();
    this.registration?.stop();
    this.pods.stop();
    await this.reconciler.stop();
    this.log.info("worker stopped");
  }

  private ownLabels(): Record<string, string> {
    return { [LABEL_MANAGED]: "true", [LABEL_NODE]: this.name };
  }

  private onPodChange(id: string, old: Pod | undefined, pod: Pod | undefined): void {
    if (old?.node === this.name || pod?.node === this.name) this.reconciler.enqueue(id);
  }

  /** Queues every pod bound here and every pod that has a container here (orphans included). */
  private async enqueueEverything(): Promise<void> {
    for (const entry of this.pods.byIndex(this.name)) this.reconciler.enqueue(baseName(entry.key));
    try {
      const containers = await this.runtime.list({ labels: this.ownLabels() });
      for (const container of containers) {
        const podId = container.labels[LABEL_POD];
        if (podId) this.reconciler.enqueue(podId);
      }
    } catch (err) {
      this.log.warn({ err }, "listing containers failed; the next resync tries again");
    }
  }

  /** The safety net besides the informer's own resync: engine state can change without events reaching us. */
  private scheduleSweep(): void {
    if (!this.running) return;
    this.cancelSweep = this.clock.setTimeout(() => {
      void this.enqueueEverything().finally(() => this.scheduleSweep());
    }, this.options.resyncMs ?? 30_000);
  }

  /** Level-triggered: makes the containers of `podId` on this node match the pod, then reports its status. */
  private async syncPod(podId: string): Promise<void> {
    const pod = this.pods.get(podId);
    const containers = await this.runtime.list({ labels: { ...this.ownLabels(), [LABEL_POD]: podId } });
    if (!pod || pod.node !== this.name) {
      await this.removeContainers(containers, pod ? `pod moved to ${pod.node ?? "no node"}` : "pod deleted");
      this.forget(podId);
      return;
    }
    const log = this.log.child({ pod: pod.name });

    // Keep the newest running container, remove any other (e.g. a duplicate left by a crash mid-start).
    const running = containers.filter((c) => c.running).sort(byStartedAtDesc);
    const keep = running[0];
    const stopped = containers.filter((c) => !c.running);
    await this.removeContainers(running.slice(1), "duplicate container");
    if (keep) {
      if (stopped.length > 0) await this.removeContainers(stopped, "superseded container");
      this.restartDue.delete(podId);
      await this.report(podId, (status) => ({
        ...withReadiness(status, pod, true),
        phase: "Running",
        message: undefined,
        containerId: keep.id,
        ip: keep.ip,
        startedAt: keep.startedAt ?? status.startedAt,
      }));
      return;
    }

    // The container exited (or was never started): count the crash, then restart after the backoff.
    let restarts = 0;
    if (stopped.length > 0) {
      const lastExit = stopped.sort(byFinishedAtDesc)[0];
      restarts = 1;
      this.restartDue.set(podId, { at: this.crashes.crashed(podId), exit: exitText(lastExit) });
      await this.removeContainers(stopped, "container exited");
      log.warn({ exitCode: lastExit?.exitCode }, "container exited; restarting");
    }
    const due = this.restartDue.get(podId);
    const wait = (due?.at ?? 0) - this.clock.now();
    if (wait > 0) {
      await this.report(podId, (status) => ({
        ...withReadiness(status, pod, false),
        phase: "Failed",
        restarts: status.restarts + restarts,
        containerId: undefined,
        ip: undefined,
        message: `back-off ${Math.ceil(wait / 1000)}s restarting failed container${due?.exit ?? ""}`,
      }));
      this.reconciler.queue.addAfter(podId, wait);
      return;
    }

    try {
      await this.runtime.ensureImage(pod.template.image);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError)) throw err;
      await this.report(podId, (status) => ({
        ...withReadiness(status, pod, false),
        phase: "Pending",
        message: err.message,
      }));
      throw err; // retried with the queue's backoff: the image may be loaded later
    }
    const network = this.networkInfo?.name ?? this.options.network.name;
    const spec = containerSpecFor(pod, {
      node: this.name,
      network,
      dns: this.options.dns?.servers,
      dnsSearch: this.options.dns?.search,
    });
    let started: ContainerInfo;
    try {
      started = await this.runtime.start(spec);
    } catch (err) {
      await this.report(podId, (status) => ({
        ...withReadiness(status, pod, false),
        phase: "Failed",
        restarts: status.restarts + restarts,
        message: err instanceof Error ? err.message : String(err),
      }));
      throw err;
    }
    log.info(
      { container: started.id.slice(0, 12), ip: started.ip },
      restarts ? "container restarted" : "container started",
    );
    await this.report(podId, (status) => ({
      ...withReadiness(status, pod, true),
      phase: "Running",
      message: undefined,
      containerId: started.id,
      ip: started.ip,
      startedAt: started.startedAt ?? new Date(this.clock.now()).toISOString(),
      restarts: status.restarts + restarts,
    }));
  }

  private async report(podId: string, change: (status: PodStatus) => PodStatus): Promise<void> {
    await writePodStatus(this.store, podId, this.name, change, () => new Date(this.clock.now()));
  }

  private async removeContainers(containers: ContainerInfo[], reason: string): Promise<void> {
    await Promise.all(
      containers.map(async (container) => {
        this.log.info({ container: container.name, reason }, "removing container");
        if (container.running) {
          await this.runtime.stop(container.id, { timeoutSeconds: this.options.stopGraceSeconds ?? 10 });
        }
        await this.runtime.remove(container.id);
      }),
    );
  }

  private forget(podId: string): void {
    this.restartDue.delete(podId);
    this.crashes.forget(podId);
  }
}

/**
 * Readiness of a pod whose container is (`running`) or is not running. Without a health check a running
 * container is ready; with one, readiness follows the check's last verdict.
 */
function withReadiness(status: PodStatus, pod: Pod, running: boolean): PodStatus {
  const ready = running && (pod.template.healthCheck === undefined || status.health === "healthy");
  const readySince = ready ? (status.ready ? status.readySince : new Date().toISOString()) : undefined;
  return { ...status, ready, readySince };
}

function byStartedAtDesc(a: ContainerInfo, b: ContainerInfo): number {
  return (b.startedAt ?? "").localeCompare(a.startedAt ?? "");
}

function byFinishedAtDesc(a: ContainerInfo, b: ContainerInfo): number {
  return (b.finishedAt ?? "").localeCompare(a.finishedAt ?? "");
}

function exitText(container: ContainerInfo | undefined): string {
  if (container?.oomKilled) return " (out of memory)";
  return container?.exitCode === undefined ? "" : ` (exit code ${container.exitCode})`;
}
