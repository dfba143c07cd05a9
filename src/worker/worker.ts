// The worker: one per machine. Registers its node, runs the pods bound to it as containers, reports their
// status and health, replaces containers that die or fail their health check (with backoff, then moving the
// pod elsewhere past its restart limit), removes containers of pods that are no longer its own. It watches
// only its node's assignments (assigned-pods.ts), so its cost does not grow with the cluster's pods.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import type { NodeInfo, Pod, PodStatus } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import { Reconciler } from "../machinery/reconciler.js";
import { ImageNotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import type {
  ContainerInfo,
  ContainerRuntime,
  EventSubscription,
  NetworkInfo,
  NetworkSpec,
} from "../runtime/runtime.js";
import type { Store } from "../store/store.js";
import { AssignedPods } from "./assigned-pods.js";
import { containerSpecFor } from "./container-spec.js";
import { backoffOptionsOf, CrashBackoff, type CrashBackoffOptions } from "./crash-backoff.js";
import { HealthMonitor } from "./health/health-monitor.js";
import { NodeRegistration } from "./node-registration.js";
import { withReadiness } from "./pod-readiness.js";
import { reschedulePod } from "./pod-rescheduler.js";

export interface WorkerOptions {
  store: Store;
  runtime: ContainerRuntime;
  /** Node name: unique in the cluster, a DNS label. */
  name: string;
  /** Address other machines reach this node at. */
  address: string;
  labels?: Record<string, string>;
  /** Bridge network the pods run on; created when missing. */
  network: NetworkSpec;
  /** DNS servers and search domains for containers, when cluster DNS runs. */
  dns?: { servers: string[]; search: string[] };
  /** Seconds between SIGTERM and SIGKILL when a pod's container is stopped. Default 10. */
  stopGraceSeconds?: number;
  /** Parallel pod syncs (bounded concurrency towards the engine). Default 8. */
  concurrency?: number;
  /** Safety-net resync period. Default 30 s. */
  resyncMs?: number;
  /** Backoff for pods without a restart policy of their own (default DEFAULT_RESTART_POLICY). */
  crashBackoff?: CrashBackoffOptions;
  /** Where Started, Unhealthy, Restarted, BackOff and Rescheduled events go. Default: nowhere. */
  events?: EventSink;
  clock?: Clock;
}

export class Worker {
  readonly name: string;
  private readonly store: Store;
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pods: AssignedPods;
  private readonly reconciler: Reconciler<string>;
  private readonly crashes: CrashBackoff;
  private readonly health: HealthMonitor;
  private readonly eventSink: EventSink;
  /** Pods whose container crashed and waits out its backoff: when it may start again, and why it stopped. */
  private readonly restartDue = new Map<string, { at: number; exit: string }>();
  /**
   * Per pod, a container this worker is starting or started (its id once known), until the engine's `start`
   * event for it comes: that event brings nothing new, so it queues no sync.
   */
  private readonly ownStarts = new Map<string, string | undefined>();
  private registration?: NodeRegistration;
  private engineEvents?: EventSubscription;
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
    this.eventSink = options.events ?? noEvents;
    // A verdict that changes only queues the pod: its sync writes the status, as every other change does.
    this.health = new HealthMonitor({
      runtime: this.runtime,
      clock: this.clock,
      log: this.log,
      onChange: (podId, report) => {
        this.log.info({ podId, health: report.verdict, detail: report.detail }, "health changed");
        this.reconciler.enqueue(podId);
      },
    });
    this.pods = new AssignedPods(this.store, options.name, this.clock, this.log);
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
    this.engineEvents = this.runtime.events(
      (event) => {
        const podId = event.labels[LABEL_POD];
        if (!podId) return;
        if (event.type === "start" && this.ownStarts.has(podId)) {
          const own = this.ownStarts.get(podId);
          if (own === undefined || own === event.id) {
            this.ownStarts.delete(podId);
            return;
          }
        }
        this.reconciler.enqueue(podId);
      },
      { labels: this.ownLabels(), onReconnect: () => void this.enqueueEverything() },
    );
    await this.engineEvents.ready;

    this.pods.addHandlers({
      onAdd: (id) => this.reconciler.enqueue(id),
      onDelete: (id) => this.reconciler.enqueue(id),
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
    await this.registration?.markStopping(new Date(this.clock.now()).toISOString());
    this.cancelSweep?.();
    this.engineEvents?.stop();
    this.health.stopAll();
    this.registration?.stop();
    this.pods.stop();
    await this.reconciler.stop();
    this.log.info("worker stopped");
  }

  private ownLabels(): Record<string, string> {
    return { [LABEL_MANAGED]: "true", [LABEL_NODE]: this.name };
  }

  /** Queues every pod assigned here and every pod that has a container here (orphans included). */
  private async enqueueEverything(): Promise<void> {
    for (const id of this.pods.ids()) this.reconciler.enqueue(id);
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

  /**
   * The safety net: re-lists the assignments (its `onResync` queues every pod, see `enqueueEverything`), as
   * watch events can be missed and engine state can change without events reaching us.
   */
  private scheduleSweep(): void {
    if (!this.running) return;
    this.cancelSweep = this.clock.setTimeout(() => {
      void this.pods.resync().finally(() => this.scheduleSweep());
    }, this.options.resyncMs ?? 30_000);
  }

  /** Level-triggered: makes the containers of `podId` on this node match the pod, then reports its status. */
  private async syncPod(podId: string): Promise<void> {
    const pod = (await this.pods.read(podId))?.value;
    const containers = await this.runtime.list({ labels: { ...this.ownLabels(), [LABEL_POD]: podId } });
    if (!pod || pod.node !== this.name) {
      this.forget(podId);
      await this.removeContainers(containers, pod ? `pod moved to ${pod.node ?? "no node"}` : "pod deleted");
      await this.pods.dropStale(podId);
      return;
    }

    // Keep the newest running container, remove any other (e.g. a duplicate left by a crash mid-start).
    const running = containers.filter((c) => c.running).sort(byStartedAtDesc);
    const keep = running[0];
    const stopped = containers.filter((c) => !c.running);
    await this.removeContainers(running.slice(1), "duplicate container");
    if (keep) {
      this.restartDue.delete(podId);
      const unhealthy = await this.syncRunning(pod, keep);
      // After the report: a removal the engine refuses can take seconds.
      if (stopped.length > 0) await this.removeContainers(stopped, "superseded container");
      if (!unhealthy) return;
      // Failed its health check: replaced like a container that crashed, with the same backoff.
      await this.runtime.stop(keep.id, { timeoutSeconds: this.options.stopGraceSeconds ?? 10 });
      stopped.splice(0, stopped.length, { ...keep, running: false });
    }
    this.health.stop(podId);
    await this.restartStopped(pod, stopped, keep ? " (health check failed)" : undefined);
  }

  /**
   * Reports a running container (adopted or started earlier) and follows its health check. Returns true when
   * the check has found it unhealthy: the caller replaces it.
   */
  private async syncRunning(pod: Pod, container: ContainerInfo): Promise<boolean> {
    const check = pod.template.healthCheck;
    let health: PodStatus["health"];
    if (check) {
      const adopted = pod.status.containerId === container.id && pod.status.health === "healthy";
      this.health.watch(pod.id, {
        containerId: container.id,
        ip: container.ip,
        check,
        startedAt: Date.parse(container.startedAt ?? "") || this.clock.now(),
        initial: adopted ? "healthy" : undefined,
      });
      const verdict = this.health.report(pod.id, container.id);
      health = verdict?.verdict ?? "starting";
      if (verdict?.verdict === "unhealthy") {
        this.log.warn({ pod: pod.name, detail: verdict.detail }, "health check failed; restarting");
        this.record(
          pod,
          "Warning",
          "Unhealthy",
          `health check failed ${verdict.consecutiveFailures} times in a row: ${verdict.detail}`,
        );
      }
    } else {
      this.health.stop(pod.id);
    }
    await this.pods.writeStatus(pod.id, (status, current) => ({
      ...this.withReadiness({ ...status, health }, current, true),
      phase: "Running",
      message: undefined,
      reason: undefined,
      containerId: container.id,
      ip: container.ip,
      startedAt: container.startedAt ?? status.startedAt,
    }));
    return health === "unhealthy";
  }

  /**
   * The pod has no running container: count the crash of the `stopped` ones, then restart after the backoff
   * of its restart policy, or past the policy's limit hand the pod back to the scheduler to go elsewhere.
   */
  private async restartStopped(pod: Pod, stopped: ContainerInfo[], why: string | undefined): Promise<void> {
    const podId = pod.id;
    let restarts = 0;
    if (stopped.length > 0) {
      const lastExit = stopped.sort(byFinishedAtDesc)[0];
      const exit = why ?? exitText(lastExit);
      const crash = this.crashes.crashed(podId, policyOf(pod));
      if (crash.overLimit) {
        await this.moveAway(pod, crash.consecutive, exit);
        await this.removeContainers(stopped, "pod rescheduled");
        return;
      }
      restarts = 1;
      this.restartDue.set(podId, { at: crash.restartAt, exit });
      await this.removeContainers(stopped, "container exited");
      this.log.warn({ pod: pod.name, exitCode: lastExit?.exitCode, exit }, "container exited; restarting");
      if (crash.delayMs > 0) {
        this.record(
          pod,
          "Warning",
          "BackOff",
          `back-off ${seconds(crash.delayMs)}s restarting failed container${exit}`,
        );
      }
    }
    const due = this.restartDue.get(podId);
    const wait = (due?.at ?? 0) - this.clock.now();
    if (wait > 0) {
      await this.pods.writeStatus(podId, (status, current) => ({
        ...this.withReadiness(status, current, false),
        phase: "Failed",
        reason: "CrashLoopBackOff",
        restarts: status.restarts + restarts,
        containerId: undefined,
        ip: undefined,
        message: `back-off ${seconds(wait)}s restarting failed container${due?.exit ?? ""}`,
      }));
      this.reconciler.queue.addAfter(podId, wait);
      return;
    }
    await this.startContainer(pod, restarts);
  }

  private async startContainer(pod: Pod, restarts: number): Promise<void> {
    const podId = pod.id;
    try {
      await this.runtime.ensureImage(pod.template.image);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError)) throw err;
      await this.pods.writeStatus(podId, (status, current) => ({
        ...this.withReadiness(status, current, false),
        phase: "Pending",
        reason: undefined,
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
    this.ownStarts.set(podId, undefined);
    try {
      started = await this.runtime.start(spec);
      // Its event may have come already (then the entry is gone).
      if (this.ownStarts.has(podId)) this.ownStarts.set(podId, started.id);
    } catch (err) {
      this.ownStarts.delete(podId);
      await this.pods.writeStatus(podId, (status, current) => ({
        ...this.withReadiness(status, current, false),
        phase: "Failed",
        reason: undefined,
        restarts: status.restarts + restarts,
        message: err instanceof Error ? err.message : String(err),
      }));
      throw err;
    }
    const crashed = this.restartDue.get(podId);
    this.restartDue.delete(podId);
    this.log.info(
      { pod: pod.name, container: started.id.slice(0, 12), ip: started.ip },
      crashed ? "container restarted" : "container started",
    );
    if (crashed) {
      this.record(pod, "Warning", "Restarted", `container restarted after it stopped${crashed.exit}`);
    } else {
      this.record(pod, "Normal", "Started", `container started on ${this.name}`);
    }
    // A new container has proven nothing yet: its health check starts over.
    const health = pod.template.healthCheck ? "starting" : undefined;
    await this.pods.writeStatus(podId, (status, current) => ({
      ...this.withReadiness({ ...status, health }, current, true),
      phase: "Running",
      message: undefined,
      reason: undefined,
      containerId: started.id,
      ip: started.ip,
      startedAt: started.startedAt ?? new Date(this.clock.now()).toISOString(),
      restarts: status.restarts + restarts,
    }));
    // The next sync finds it running and starts its health check (its own start event queues none).
    if (health) this.reconciler.enqueue(podId);
  }

  /** Past the restart limit: give the pod back to the scheduler, to be placed on another node. */
  private async moveAway(pod: Pod, crashes: number, exit: string): Promise<void> {
    const message = `crashed ${crashes} times in a row on ${this.name}${exit}; rescheduling`;
    const moved = await reschedulePod(
      this.store,
      pod.id,
      this.name,
      message,
      () => new Date(this.clock.now()),
    );
    this.forget(pod.id);
    if (!moved) return;
    this.log.warn({ pod: pod.name, crashes }, "restart limit reached; pod rescheduled");
    this.record(pod, "Warning", "Rescheduled", message);
  }

  private withReadiness(status: PodStatus, pod: Pod, running: boolean): PodStatus {
    return withReadiness(status, pod, running, new Date(this.clock.now()));
  }

  private record(pod: Pod, type: "Normal" | "Warning", reason: string, message: string): void {
    this.eventSink.record({ type, reason, object: `pod/${pod.name}`, deployment: pod.deployment, message });
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
    this.pods.forget(podId);
    this.ownStarts.delete(podId);
    this.restartDue.delete(podId);
    this.crashes.forget(podId);
    this.health.stop(podId);
  }
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

/** The pod's own restart policy; without one, the worker's defaults (DEFAULT_RESTART_POLICY unless configured). */
function policyOf(pod: Pod): CrashBackoffOptions {
  return pod.template.restartPolicy ? backoffOptionsOf(pod.template.restartPolicy) : {};
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
