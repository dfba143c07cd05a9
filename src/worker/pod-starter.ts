// Starting a pod's container on this node: the image must be there, the engine must accept the spec, and what
// went wrong becomes the pod's status, with a reason that says whether a retry may help (core/pod-reasons.ts).
// It also remembers the containers it started, so that the engine's `start` event for one of them (which brings
// nothing new) queues no sync.
import type { Clock } from "../core/clock.js";
import { type StartStep, startFailureReason } from "../core/pod-reasons.js";
import { imageMissing, startFailed } from "../core/pod-transitions.js";
import type { Pod } from "../core/types.js";
import { ContainerStartError, ImageNotFoundError } from "../runtime/errors.js";
import type { ContainerInfo, ContainerRuntime, RuntimeEvent } from "../runtime/runtime.js";
import type { AssignedPods } from "./assigned-pods.js";
import { containerSpecFor } from "./container-spec.js";
import type { PodData } from "./data/pod-data.js";
import type { PlannedEvent } from "./pod-sync-plan.js";

export interface PodStarterOptions {
  runtime: ContainerRuntime;
  pods: AssignedPods;
  node: string;
  /** The network the pods run on (known once the worker has started). */
  network: () => string;
  dns?: { servers: string[]; search: string[] };
  /** Makes the pod's volumes, configs and secrets ready (none when absent). */
  data?: PodData;
  /** Records a Warning event when a failed start's reason changes. */
  record: (pod: Pod, event: PlannedEvent) => void;
  clock: Clock;
}

/** The start step the engine last refused for good for a pod, and how many times in a row. */
export interface Refusals {
  step: StartStep;
  count: number;
}

/** Counts a failed start `step` after `previous`: definitive refusals of one step in a row add up, others reset. */
export function countRefusal(
  previous: Refusals | undefined,
  step: StartStep,
  definitive: boolean,
): { refusals: Refusals | undefined; reason: string } {
  const count = definitive ? (previous?.step === step ? previous.count : 0) + 1 : 0;
  return {
    refusals: count > 0 ? { step, count } : undefined,
    reason: startFailureReason(step, definitive, count),
  };
}

export class PodStarter {
  /** Per pod, a container being started or started (its id once known), until the engine's `start` event. */
  private readonly ownStarts = new Map<string, string | undefined>();
  private readonly refusals = new Map<string, Refusals>();

  constructor(private readonly options: PodStarterOptions) {}

  /**
   * Starts the pod's container; `restarts` (0 or 1) is counted in the status written if the start fails.
   * Rejects (for the queue's backoff) when the image is missing or the engine refuses, after saying why in
   * the pod's status.
   */
  async start(pod: Pod, restarts: number): Promise<ContainerInfo> {
    const { runtime, pods } = this.options;
    try {
      await runtime.ensureImage(pod.template.image);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError)) throw err;
      const reason = this.refused(pod, "pull", err.definitive, err.message);
      await pods.writeStatus(pod.id, (status, current) =>
        imageMissing(status, current, { reason, message: err.message }, this.now()),
      );
      throw err; // the image may be loaded later
    }
    this.ownStarts.set(pod.id, undefined);
    let started: ContainerInfo;
    try {
      // Before any container is created: a refused mount (a host path not allowed) creates none.
      const data = await this.options.data?.prepare(pod);
      const spec = containerSpecFor(pod, {
        node: this.options.node,
        network: this.options.network(),
        dns: this.options.dns?.servers,
        dnsSearch: this.options.dns?.search,
        mounts: data?.mounts,
        configEnv: data?.env,
      });
      started = await runtime.start(spec);
      // Its event may have come already (then the entry is gone).
      if (this.ownStarts.has(pod.id)) this.ownStarts.set(pod.id, started.id);
    } catch (err) {
      this.ownStarts.delete(pod.id);
      const message = err instanceof Error ? err.message : String(err);
      const reason =
        err instanceof ContainerStartError ? this.refused(pod, err.step, err.definitive, message) : undefined;
      await pods.writeStatus(pod.id, (status, current) =>
        startFailed(status, current, { restarts, reason, message }, this.now()),
      );
      throw err;
    }
    this.refusals.delete(pod.id);
    return started;
  }

  /** Whether `event` is the engine's `start` of a container this starter started (it is then forgotten). */
  isOwnStart(podId: string, event: Pick<RuntimeEvent, "type" | "id">): boolean {
    if (event.type !== "start" || !this.ownStarts.has(podId)) return false;
    const own = this.ownStarts.get(podId);
    if (own !== undefined && own !== event.id) return false;
    this.ownStarts.delete(podId);
    return true;
  }

  forget(podId: string): void {
    this.ownStarts.delete(podId);
    this.refusals.delete(podId);
  }

  /** Counts the refusal of `step` and returns the pod's reason for it; a Warning event when the reason changes. */
  private refused(pod: Pod, step: StartStep, definitive: boolean, message: string): string {
    const { refusals, reason } = countRefusal(this.refusals.get(pod.id), step, definitive);
    if (refusals) this.refusals.set(pod.id, refusals);
    else this.refusals.delete(pod.id);
    if (reason !== pod.status.reason) this.options.record(pod, { type: "Warning", reason, message });
    return reason;
  }

  private now(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}
