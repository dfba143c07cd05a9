// Starting a pod's container on this node: the image must be there, the engine must accept the spec, and what
// went wrong becomes the pod's status. It also remembers the containers it started, so that the engine's
// `start` event for one of them (which brings nothing new) queues no sync.
import type { Clock } from "../core/clock.js";
import { imageMissing, startFailed } from "../core/pod-transitions.js";
import type { Pod } from "../core/types.js";
import { ImageNotFoundError } from "../runtime/errors.js";
import type { ContainerInfo, ContainerRuntime, RuntimeEvent } from "../runtime/runtime.js";
import type { AssignedPods } from "./assigned-pods.js";
import { containerSpecFor } from "./container-spec.js";

export interface PodStarterOptions {
  runtime: ContainerRuntime;
  pods: AssignedPods;
  node: string;
  /** The network the pods run on (known once the worker has started). */
  network: () => string;
  dns?: { servers: string[]; search: string[] };
  clock: Clock;
}

export class PodStarter {
  /** Per pod, a container being started or started (its id once known), until the engine's `start` event. */
  private readonly ownStarts = new Map<string, string | undefined>();

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
      await pods.writeStatus(pod.id, (status, current) =>
        imageMissing(status, current, err.message, this.now()),
      );
      throw err; // the image may be loaded later
    }
    const spec = containerSpecFor(pod, {
      node: this.options.node,
      network: this.options.network(),
      dns: this.options.dns?.servers,
      dnsSearch: this.options.dns?.search,
    });
    this.ownStarts.set(pod.id, undefined);
    try {
      const started = await runtime.start(spec);
      // Its event may have come already (then the entry is gone).
      if (this.ownStarts.has(pod.id)) this.ownStarts.set(pod.id, started.id);
      return started;
    } catch (err) {
      this.ownStarts.delete(pod.id);
      const message = err instanceof Error ? err.message : String(err);
      await pods.writeStatus(pod.id, (status, current) =>
        startFailed(status, current, restarts, message, this.now()),
      );
      throw err;
    }
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
  }

  private now(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}
