// Writes a pod's status with compare-and-set, re-reading on conflict, and only when it changed.
import { ConflictError } from "../core/errors.js";
import type { Pod, PodStatus } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { Entry, Store } from "../store/store.js";

const MAX_ATTEMPTS = 5;

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
  change: (current: PodStatus, pod: Pod) => PodStatus,
  now: () => Date = () => new Date(),
  known?: Entry<Pod>,
): Promise<Entry<Pod> | undefined> {
  let cached = known?.value.node === node ? known : undefined;
  for (let attempt = 1; ; attempt++) {
    const entry = cached ?? (await store.get<Pod>(keys.pod(podId)));
    cached = undefined;
    if (!entry || entry.value.node !== node) return undefined;
    const status = change(structuredClone(entry.value.status), entry.value);
    if (sameStatus(entry.value.status, status)) return entry;
    const updated: Pod = { ...entry.value, status, updatedAt: now().toISOString() };
    try {
      return await store.set(keys.pod(podId), updated, entry.version);
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
