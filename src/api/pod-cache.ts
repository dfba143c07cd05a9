// The API server's copy of every pod, indexed by deployment, kept by a watch: the status counts of
// GET /deployments come from it instead of a listing of all pods per request (so their cost does not grow
// with the cluster). Those counts describe what other components report and are eventually consistent anyway;
// deployments themselves are still read from the store, so a client always reads its own writes. The
// informer is the process's (shared with its other components) or the server's own (see server.ts).
import type { Pod } from "../core/types.js";
import type { Informer } from "../machinery/informer.js";

export class PodCache {
  /** `informer`: the pods informer, indexed by deployment (SharedInformers.pods()). */
  constructor(private readonly informer: Informer<Pod>) {}

  /** True once the cache holds a complete listing; until then answers come from the store. */
  get synced(): boolean {
    return this.informer.hasSynced;
  }

  /** The cached pods of `deployment` (see `synced`). */
  podsOf(deployment: string): Pod[] {
    return this.informer.byIndex(deployment).map((entry) => entry.value);
  }
}
