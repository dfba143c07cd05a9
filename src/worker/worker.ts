// The worker: one per machine. Registers its node, runs the pods bound to it as containers, reports their
// status and health, replaces containers that die or fail their health check (with backoff, then moving the
// pod elsewhere past its restart limit), removes containers of pods that are no longer its own. It watches
// only its node's assignments (assigned-pods.ts), so its cost does not grow with the cluster's pods.
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, logger as makeLogger } from "../core/logger.js";
import { containerStarted } from "../core/pod-transitions.js";
import type { NodeInfo, Pod } from "../core/types.js";
import { type EventSink, noEvents } from "../events/event-recorder.js";
import { Reconciler } from "../machinery/reconciler.js";
import { LABEL_MANAGED, LABEL_NODE, LABEL_POD } from "../runtime/labels.js";
import type { ContainerRuntime, EventSubscription, NetworkInfo, NetworkSpec } from "../runtime/runtime.js";
import type { SecretKeyRing } from "../secrets/secret-key-ring.js";
import type { Store } from "../store/store.js";
import { AssignedPods } from "./assigned-pods.js";
import { type CrashBackoffOptions, crashOptions } from "./crash-backoff.js";
import { defaultFilesDir, PodData } from "./data/pod-data.js";
import { HealthMonitor } from "./health/health-monitor.js";
import { NodeRegistration } from "./node-registration.js";
import { reschedulePod } from "./pod-rescheduler.js";
import { PodStarter } from "./pod-starter.js";
import {
  type PlannedEvent,
  type PodSyncPlan,
  planPodSync,
  type Removal,
  type RestartState,
} from "./pod-sync-plan.js";
import { PreviousLogs } from "./previous-logs.js";

export interface WorkerOptions {
  store: Store;
  runtime: ContainerRuntime;
  /** Node name: unique in the cluster, a DNS label. */
  name: string;
  /** Address other machines reach this node at. */
  address: string;
  /** URL of this node's endpoint (logs, exec, usage), registered with the node for API servers to call. */
  endpoint?: string;
  /** The endpoint's certificate (PEM), registered with the URL: API servers accept only it. */
  endpointCertificate?: string;
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
  /** Directories under which pods may mount host paths (`--allow-host-path`). Default: none. */
  allowHostPaths?: string[];
  /** Decrypts the secrets pods use (`--secrets-key-file`). */
  secrets?: SecretKeyRing;
  /** A tmpfs directory for the files of configs and secrets. Default `/dev/shm/orchestra/<node>`. */
  filesDir?: string;
  /** Where Started, Unhealthy, Restarted, BackOff and Rescheduled events go. Default: nowhere. */
  events?: EventSink;
  clock?: Clock;
  /**
   * Awaited between reporting a failing pod not ready and stopping its container: the node's published ports
   * take it out of their rules first, so that no new connection is sent to an address about to vanish.
   */
  beforeStop?: (pod: Pod) => Promise<void>;
}

export class Worker {
  readonly name: string;
  private readonly store: Store;
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pods: AssignedPods;
  private readonly starter: PodStarter;
  private readonly data: PodData;
  private readonly reconciler: Reconciler<string>;
  private readonly health: HealthMonitor;
  private readonly eventSink: EventSink;
  private readonly stopGraceSeconds: number;
  /** The output of each pod's last stopped container, kept before its removal (`logs --previous`). */
  readonly previousLogs: PreviousLogs;
  /** Per pod, its crashes here and the back-off a crashed container waits out (see planPodSync). */
  private readonly restarts = new Map<string, RestartState>();
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
    this.stopGraceSeconds = options.stopGraceSeconds ?? 10;
    this.eventSink = options.events ?? noEvents;
    this.previousLogs = new PreviousLogs(this.runtime);
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
    this.data = new PodData({
      store: this.store,
      runtime: this.runtime,
      node: options.name,
      clock: this.clock,
      log: this.log,
      allowHostPaths: options.allowHostPaths,
      secrets: options.secrets,
      filesDir: options.filesDir ?? defaultFilesDir(options.name),
    });
    this.starter = new PodStarter({
      data: this.data,
      runtime: this.runtime,
      pods: this.pods,
      node: options.name,
      network: () => this.networkInfo?.name ?? options.network.name,
      dns: options.dns,
      record: (pod, event) => this.record(pod, event),
      clock: this.clock,
    });
    this.reconciler = new Reconciler<string>({
      reconcile: (podId) => this.syncPod(podId),
      workers: options.concurrency ?? 8,
      clock: this.clock,
      logger: this.log,
      name: "pods",
    });
  }

  /** Whether the pod is bound to this node (its containers here are its own). */
  hasPod(podId: string): boolean {
    return this.pods.has(podId);
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
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.endpointCertificate
          ? { endpointCertificate: this.options.endpointCertificate }
          : {}),
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
        if (!this.starter.isOwnStart(podId, event)) this.reconciler.enqueue(podId);
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
    // Volumes kept from before (a restart) are reported again at once, not at the first sweep.
    void this.data.refreshVolumes().catch((err) => this.log.warn({ err }, "reporting volumes failed"));
    this.scheduleSweep();
    this.log.info({ network: network.name, subnet: network.subnet }, "worker started");
  }

  /** Stops acting; the pods' containers keep running and are adopted by the next start. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.registration?.markStopping(new Date(this.clock.now()).toISOString());
    this.cancelSweep?.();
    this.data.stop();
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
      const volumes = this.data.refreshVolumes().catch((err) => {
        this.log.warn({ err }, "reporting volumes failed; the next sweep tries again");
      });
      void Promise.all([this.pods.resync(), volumes]).finally(() => this.scheduleSweep());
    }, this.options.resyncMs ?? 30_000);
  }

  /**
   * Level-triggered: makes the containers of `podId` on this node match the pod, then reports its status. The
   * decision is `planPodSync`'s, on what the store and the engine say now; this only carries it out.
   */
  private async syncPod(podId: string): Promise<void> {
    const pod = (await this.pods.read(podId))?.value;
    const containers = await this.runtime.list({ labels: { ...this.ownLabels(), [LABEL_POD]: podId } });
    const plan = planPodSync({
      node: this.name,
      pod,
      containers,
      restart: this.restarts.get(podId),
      policy: crashOptions(this.options.crashBackoff, pod?.template.restartPolicy),
      health: this.health.current(podId),
      now: this.clock.now(),
    });
    if (plan.restart) this.restarts.set(podId, plan.restart);
    else this.restarts.delete(podId);
    if (plan.release || !pod) {
      this.forget(podId);
      await this.removeContainers(plan.removeFirst);
      await this.data.release(podId);
      if (plan.removeFirst.length > 0) this.data.refreshSoon();
      await this.pods.dropStale(podId);
      return;
    }
    await this.carryOut(pod, plan);
  }

  /** The plan's steps, in order. */
  private async carryOut(pod: Pod, plan: PodSyncPlan): Promise<void> {
    await this.removeContainers(plan.removeFirst);
    if (plan.health === "stop") this.health.stop(pod.id);
    else this.health.watch(pod.id, plan.health.watch);
    for (const event of plan.events) {
      this.log[event.type === "Warning" ? "warn" : "info"](
        { pod: pod.name, reason: event.reason },
        event.message,
      );
      this.record(pod, event);
    }
    if (plan.report) await this.pods.writeStatus(pod.id, plan.report);
    if (plan.stop) {
      await this.options.beforeStop?.(pod);
      await this.runtime.stop(plan.stop.id, { timeoutSeconds: this.stopGraceSeconds });
    }
    if (plan.moveAway) await this.moveAway(pod, plan.moveAway);
    await this.removeContainers(plan.removeLater);
    if (plan.status) await this.pods.writeStatus(pod.id, plan.status);
    if (plan.requeueAfterMs !== undefined) this.reconciler.queue.addAfter(pod.id, plan.requeueAfterMs);
    if (plan.start) await this.startContainer(pod, plan.start);
  }

  private async startContainer(pod: Pod, start: NonNullable<PodSyncPlan["start"]>): Promise<void> {
    const podId = pod.id;
    const started = await this.starter.start(pod, start.restarts);
    // Started: the back-off it waited out (if any) is over; the crash record stays until it runs long enough.
    const restart = this.restarts.get(podId);
    if (restart?.backoff) this.restarts.set(podId, { crashes: restart.crashes });
    const crashed = start.afterCrash !== undefined;
    this.log.info(
      { pod: pod.name, container: started.id.slice(0, 12), ip: started.ip },
      crashed ? "container restarted" : "container started",
    );
    if (crashed) {
      this.record(pod, {
        type: "Warning",
        reason: "Restarted",
        message: `container restarted after it stopped${start.afterCrash}`,
      });
    } else {
      this.record(pod, { type: "Normal", reason: "Started", message: `container started on ${this.name}` });
    }
    await this.pods.writeStatus(podId, (status, current) =>
      containerStarted(status, current, started, { restarts: start.restarts, now: this.now() }),
    );
    // The next sync finds it running and starts its health check (its own start event queues none).
    if (pod.template.healthCheck) this.reconciler.enqueue(podId);
  }

  /** Past the restart limit: give the pod back to the scheduler, to be placed on another node. */
  private async moveAway(pod: Pod, message: string): Promise<void> {
    const moved = await reschedulePod(this.store, pod.id, this.name, message, this.clock);
    this.forget(pod.id);
    if (!moved) return;
    this.log.warn({ pod: pod.name }, "restart limit reached; pod rescheduled");
    this.record(pod, { type: "Warning", reason: "Rescheduled", message });
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private record(pod: Pod, event: PlannedEvent): void {
    this.eventSink.record({ ...event, object: `pod/${pod.name}`, deployment: pod.deployment });
  }

  private async removeContainers(removals: Removal[]): Promise<void> {
    await Promise.all(
      removals.map(async ({ container, reason, keepLogs }) => {
        this.log.info({ container: container.name, reason }, "removing container");
        const podId = container.labels[LABEL_POD];
        if (keepLogs && podId) {
          await this.previousLogs.keep(podId, container).catch((err) => {
            this.log.warn({ err, container: container.name }, "could not keep the container's output");
          });
        }
        if (container.running)
          await this.runtime.stop(container.id, { timeoutSeconds: this.stopGraceSeconds });
        await this.runtime.remove(container.id);
      }),
    );
  }

  private forget(podId: string): void {
    this.pods.forget(podId);
    this.starter.forget(podId);
    this.restarts.delete(podId);
    this.health.stop(podId);
    this.previousLogs.forget(podId);
  }
}
