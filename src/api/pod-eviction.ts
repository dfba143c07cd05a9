// POST /pods/:id/eviction's read, decide and commit: the decision (eviction.ts) is committed in one
// transaction that checks every pod it counted, so simultaneous evictions against one budget, through one
// API server or several, let through only as many as the budget allows. A lost race decides again.
import { type Clock, systemClock } from "../core/clock.js";
import { retryOnConflict } from "../core/conflict-retry.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import type { Deployment, Pod } from "../core/types.js";
import { keys } from "../store/keys.js";
import type { ApiStore } from "./deadline-store.js";
import { evictionDecision, evictionOps } from "./eviction.js";

export type EvictionOutcome =
  /** Deleted; `others` are the pods read with it, to tell whether its node is now empty. */
  | { evicted: true; pod: Pod; others: Pod[] }
  /** Refused by the budget (or the pods kept changing): a 429 with this message. */
  | { evicted: false; message: string };

export async function evictPod(
  store: ApiStore,
  id: string,
  clock: Clock = systemClock,
): Promise<EvictionOutcome> {
  try {
    return await retryOnConflict(
      async () => {
        const entry = await store.get<Pod>(keys.pod(id));
        if (!entry) throw new NotFoundError(`pod "${id}" not found`);
        const [deployment, pods] = await Promise.all([
          store.get<Deployment>(keys.deployment(entry.value.deployment)),
          store.list<Pod>(keys.pods),
        ]);
        const decision = evictionDecision(
          entry.value,
          deployment?.value,
          pods.map((e) => e.value),
        );
        if (!decision.allowed) return { evicted: false as const, message: decision.message };
        try {
          await store.transaction(evictionOps(entry, deployment, pods));
        } catch (error) {
          // The pod, a sibling or the deployment changed or went since read: decide again on what is there now.
          if (error instanceof ConflictError || error instanceof NotFoundError) throw new LostRace();
          throw error;
        }
        const others = pods.filter((e) => e.value.id !== id).map((e) => e.value);
        return { evicted: true as const, pod: entry.value, others };
      },
      { clock, isConflict: (error) => error instanceof LostRace },
    );
  } catch (error) {
    if (!(error instanceof LostRace)) throw error;
    return { evicted: false, message: `pod "${id}" or its deployment's pods kept changing: try again` };
  }
}

class LostRace extends Error {
  constructor() {
    super("an eviction's inputs changed before it committed");
  }
}
