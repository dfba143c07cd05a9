// Gives a pod that keeps crashing on this node back to the scheduler, marked to avoid this node
// (Nomad's restart-then-reschedule): one version-checked write (the pod and its assignment), retried on conflict.
import type { Clock } from "../core/clock.js";
import { moveAway } from "../core/pod-transitions.js";
import type { Pod } from "../core/types.js";
import { compareAndSetPod, NO_CHANGE } from "../store/compare-and-set.js";
import type { Store } from "../store/store.js";

/**
 * Unbinds `podId` from `node` (see `moveAway`) with `message`. Returns the pod as written, or undefined when
 * it is gone or no longer bound to `node` (then it is not this node's to move).
 */
export async function reschedulePod(
  store: Store,
  podId: string,
  node: string,
  message: string,
  clock: Clock,
): Promise<Pod | undefined> {
  const { written, after } = await compareAndSetPod(
    store,
    podId,
    (current) =>
      current?.value.node === node
        ? moveAway(current.value, node, message, new Date(clock.now()).toISOString())
        : NO_CHANGE,
    { clock },
  );
  return written ? after?.value : undefined;
}
