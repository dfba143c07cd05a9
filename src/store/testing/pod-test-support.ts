// For tests that stand in for the scheduler or a worker: write a pod as it is, the way they would (its
// assignment created, moved or removed with it).
import type { Pod } from "../../core/types.js";
import { keys } from "../keys.js";
import { podCreateOps, podDeleteOps, podWriteOps } from "../pod-ops.js";
import type { Store } from "../store.js";

/** Creates or replaces `pod` (whatever its current version). */
export async function savePod(store: Store, pod: Pod): Promise<void> {
  const current = await store.get<Pod>(keys.pod(pod.id));
  await store.transaction(
    current ? podWriteOps(pod, current.version, current.value.node) : podCreateOps(pod),
  );
}

/** Deletes the pod `id` if it exists. */
export async function removePod(store: Store, id: string): Promise<void> {
  const current = await store.get<Pod>(keys.pod(id));
  if (current) await store.transaction(podDeleteOps(current.value, current.version));
}
