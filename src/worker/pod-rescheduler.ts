// Gives a pod that keeps crashing on this node back to the scheduler, marked to avoid this node
// (Nomad's restart-then-reschedule): one version-checked write (the pod and its assignment), retried on conflict.
import { ConflictError } from "../core/errors.js";
import type { Pod } from "../core/types.js";
import { keys } from "../store/keys.js";
import { podWriteOps } from "../store/pod-ops.js";
import type { Store } from "../store/store.js";

const MAX_ATTEMPTS = 5;

/**
 * Unbinds `podId` from `node`: no node, `node` added to avoidNodes, phase Pending with `message`, no
 * container. Returns the pod as written, or undefined when it is gone or no longer
 * bound to `node` (then it is not this node's to move).
 */
export async function reschedulePod(
  store: Store,
  podId: string,
  node: string,
  message: string,
  now: () => Date = () => new Date(),
): Promise<Pod | undefined> {
  for (let attempt = 1; ; attempt++) {
    const entry = await store.get<Pod>(keys.pod(podId));
    if (!entry || entry.value.node !== node) return undefined;
    const { node: _unbound, ...rest } = entry.value;
    const status = { ...entry.value.status };
    for (const field of ["containerId", "ip", "health", "readySince", "startedAt", "reason"] as const) {
      delete status[field];
    }
    const moved: Pod = {
      ...rest,
      avoidNodes: [...new Set([...(entry.value.avoidNodes ?? []), node])],
      status: { ...status, phase: "Pending", ready: false, message },
      updatedAt: now().toISOString(),
    };
    try {
      await store.transaction(podWriteOps(moved, entry.version, node));
      return moved;
    } catch (err) {
      if (err instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}
