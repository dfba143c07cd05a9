// Graceful removal of ready pods: first marked terminating and not ready (so DNS stops answering with
// them), deleted only after a drain delay, so that a client that has just resolved a pod is still answered
// (Kubernetes removes endpoints before stopping containers for the same reason).
import { type Clock, systemClock } from "../core/clock.js";
import { markTerminating } from "../core/pod-transitions.js";
import type { Pod } from "../core/types.js";
import { compareAndSetPod, NO_CHANGE } from "../store/compare-and-set.js";
import type { Lease, Store } from "../store/store.js";
import { isReady } from "./rollout-plan.js";

export class PodDrain {
  /** Marks we wrote that the pod cache may not show yet: pod id → deployment and when. */
  private readonly marks = new Map<string, { deployment: string; since: string }>();

  constructor(
    private readonly store: Store,
    readonly drainMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `pods` with our marks applied where the cache lags behind them. */
  overlay(deployment: string, pods: Pod[]): Pod[] {
    const present = new Set(pods.map((pod) => pod.id));
    for (const [id, mark] of this.marks)
      if (mark.deployment === deployment && !present.has(id)) this.marks.delete(id);
    return pods.map((pod) => {
      const mark = this.marks.get(pod.id);
      if (!mark || pod.terminatingSince !== undefined) return pod;
      return { ...pod, terminatingSince: mark.since };
    });
  }

  /** Which of the pods to remove must drain first (ready ones, when there is a delay) and which go at once. */
  split(toRemove: readonly Pod[], deploymentExists: boolean): { drain: Pod[]; now: Pod[] } {
    if (this.drainMs <= 0 || !deploymentExists) return { drain: [], now: [...toRemove] };
    return { drain: toRemove.filter(isReady), now: toRemove.filter((pod) => !isReady(pod)) };
  }

  /** Draining pods whose delay is over. */
  expired(pods: readonly Pod[], now: number): Pod[] {
    return pods.filter(
      (pod) => pod.terminatingSince !== undefined && Date.parse(pod.terminatingSince) + this.drainMs <= now,
    );
  }

  /** When the next draining pod's delay ends (epoch ms), if any drains. */
  nextExpiry(pods: readonly Pod[], extra: number): number | undefined {
    const ends = pods
      .filter((pod) => pod.terminatingSince !== undefined)
      .map((pod) => Date.parse(pod.terminatingSince as string) + this.drainMs);
    if (extra > 0) ends.push(extra);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }

  /** Marks each pod terminating and not ready, with compare-and-set (the worker writes its status too). */
  async mark(pods: readonly Pod[], lease: Lease, now: number): Promise<void> {
    const since = new Date(now).toISOString();
    for (const pod of pods) {
      const { after } = await compareAndSetPod(
        this.store,
        pod.id,
        (current) => {
          if (!current || current.value.terminatingSince !== undefined) return NO_CHANGE;
          return markTerminating(current.value, since);
        },
        { lease, clock: this.clock },
      );
      const marked = after?.value.terminatingSince;
      if (marked !== undefined) this.marks.set(pod.id, { deployment: pod.deployment, since: marked });
    }
  }

  clear(): void {
    this.marks.clear();
  }
}
