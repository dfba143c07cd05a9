// The API server's copy of every pod, indexed by deployment, kept by a watch: the status counts of
// GET /deployments come from it instead of a listing of all pods per request (so their cost does not grow
// with the cluster). Those counts describe what other components report and are eventually consistent anyway;
// deployments themselves are still read from the store, so a client always reads its own writes.
import { logger } from "../core/logger.js";
import type { Pod } from "../core/types.js";
import { Informer } from "../machinery/informer.js";
import { keys } from "../store/keys.js";
import type { Store } from "../store/store.js";

export class PodCache {
  private readonly informer: Informer<Pod>;

  constructor(store: Store) {
    this.informer = new Informer<Pod>(store, keys.pods, {
      index: (pod) => pod.deployment,
      logger: logger("api").child({ informer: "pods" }),
    });
  }

  /** Starts watching; answers come from the store until the first listing is in. */
  start(): void {
    void this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** True once the cache holds a complete listing. */
  get synced(): boolean {
    return this.informer.hasSynced;
  }

  /** The cached pods of `deployment` (see `synced`). */
  podsOf(deployment: string): Pod[] {
    return this.informer.byIndex(deployment).map((entry) => entry.value);
  }
}
