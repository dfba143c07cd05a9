// Limits on how many objects of a kind the cluster holds. A store directory counts its children without
// reading them, so the check costs one small read per create. It is made before the write, not in its
// transaction: creates racing at the limit may pass it by their number, never by more.
import type { ApiStore } from "./deadline-store.js";
import { LimitExceededError } from "./errors.js";

export interface CountLimit {
  /** The directory whose children are counted, e.g. /deployments. */
  dir: string;
  max: number;
  /** What the error names: `deployments`. */
  what: string;
  /** How the operator changes it, when they can: `--max-deployments`. */
  flag?: string;
}

/** Unless `key` exists already (an update), refuses a create that would make `dir` hold more than `max`. */
export async function checkRoomFor(store: ApiStore, key: string, limit: CountLimit): Promise<void> {
  const [existing, count] = await Promise.all([store.get(key), store.count(limit.dir)]);
  if (existing || count < limit.max) return;
  const raise = limit.flag === undefined ? "" : ` or start the API server with a higher ${limit.flag}`;
  throw new LimitExceededError(
    `${limit.what}: the cluster holds ${count}, at the limit of ${limit.max}; delete some first${raise}`,
  );
}
