// Writes a pod's status with compare-and-set, re-reading on conflict, and only when it changed.
import { ConflictError } from "../core/errors.js";
import type { Pod, PodStatus } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";

const MAX_ATTEMPTS = 5;

/**
 * Applies `change` to the pod's current status in the store. Returns the pod as written, or undefined when
 * the pod is gone or no longer bound to `node` (its status is then someone else's to write).
 */
export async function writePodStatus(
  store: Store,
  podId: string,
  node: string,
  change: (current: PodStatus) => PodStatus,
  now: () => Date = () => new Date(),
): Promise<Pod | undefined> {
  for (let attempt = 1; ; attempt++) {
    const entry = await store.get<Pod>(keys.pod(podId));
    if (!entry || entry.value.node !== node) return undefined;
    const status = change(structuredClone(entry.value.status));
    if (sameStatus(entry.value.status, status)) return entry.value;
    const updated: Pod = { ...entry.value, status, updatedAt: now().toISOString() };
    try {
      await store.set(keys.pod(podId), updated, entry.version);
      return updated;
    } catch (err) {
      if (err instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
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
