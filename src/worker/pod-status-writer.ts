// Writes a pod's status with compare-and-set, re-reading on conflict, and only when it changed.
import type { Clock } from "../core/clock.js";
import type { Pod, PodStatus } from "../core/types.js";
import { compareAndSetPod, NO_CHANGE } from "../store/compare-and-set.js";
import type { Entry, Store } from "../store/store.js";

/** A change of a pod's status (see core/pod-transitions.ts), applied to the status as it is in the store. */
export type StatusChange = (current: PodStatus, pod: Pod) => PodStatus;

/**
 * Applies `change` to the pod's current status in the store (given the pod it belongs to). Starts from
 * `known` (the entry last read or written) when given, and re-reads only on conflict. Returns the entry as
 * written, or undefined when the pod is gone or no longer bound to `node` (its status is then someone else's
 * to write).
 */
export async function writePodStatus(
  store: Store,
  podId: string,
  node: string,
  change: StatusChange,
  clock: Clock,
  known?: Entry<Pod>,
): Promise<Entry<Pod> | undefined> {
  const { after } = await compareAndSetPod(
    store,
    podId,
    (current) => {
      if (current?.value.node !== node) return NO_CHANGE;
      const status = change(structuredClone(current.value.status), current.value);
      if (sameStatus(current.value.status, status)) return NO_CHANGE;
      return { ...current.value, status, updatedAt: new Date(clock.now()).toISOString() };
    },
    { known: known?.value.node === node ? known : undefined, clock },
  );
  return after?.value.node === node ? after : undefined;
}

function sameStatus(a: PodStatus, b: PodStatus): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(status: PodStatus): PodStatus {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(status).sort()) {
    const value = (status as unknown as Record<string, unknown>)[key];
    if (value !== undefined) copy[key] = value;
  }
  return copy as unknown as PodStatus;
}
