// `orchestra delete NAME --purge-volumes`: the deployment's named volumes are marked in their reports; each
// worker removes its marked volumes once no container uses them (worker/volumes/), then their reports.
import type { Clock } from "../core/clock.js";
import type { VolumeReport } from "../core/types.js";
import { compareAndSet, NO_CHANGE } from "../store/compare-and-set.js";
import { keys } from "../store/keys.js";
import type { ApiStore } from "./deadline-store.js";

/** Marks every reported volume of `deployment` for removal; returns how many were marked now. */
export async function markVolumesForPurge(
  store: ApiStore,
  deployment: string,
  clock: Clock,
): Promise<number> {
  const reports = await store.list<VolumeReport>(keys.volumes);
  const results = await Promise.all(
    reports
      .filter((entry) => entry.value.deployment === deployment && !entry.value.purge)
      .map((entry) =>
        compareAndSet<VolumeReport>(
          store,
          entry.key,
          (current) =>
            current && current.value.deployment === deployment && !current.value.purge
              ? { ...current.value, purge: true, updatedAt: new Date(clock.now()).toISOString() }
              : NO_CHANGE,
          { known: entry, clock },
        ),
      ),
  );
  return results.filter((result) => result.written).length;
}
