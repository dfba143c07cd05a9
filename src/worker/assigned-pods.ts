// The pods assigned to one node, as its worker sees them: a watch of the node's assignments says which pods to
// look at; each pod itself is read from the store when it is synced (the truth), and its status is written
// with compare-and-set from that read.
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Pod, PodStatus } from "../core/types.js";
import { Informer, type InformerHandlers } from "../machinery/informer.js";
import { keys } from "../store/keys.js";
import type { Assignment } from "../store/pod-ops.js";
import type { Entry, Store } from "../store/store.js";
import { writePodStatus } from "./pod-status-writer.js";

export class AssignedPods {
  private readonly assignments: Informer<Assignment>;
  /**
   * Each pod as last read or written: the compare-and-set base of its next status write, and what the worker
   * keeps acting on while the store cannot be read (no container is stopped on a guess).
   */
  private readonly known = new Map<string, Entry<Pod>>();

  constructor(
    private readonly store: Store,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    // No periodic re-list of its own: the worker's sweep calls `resync`, one look at the store and the engine.
    this.assignments = new Informer<Assignment>(store, keys.assignments(node), {
      clock,
      resyncMs: 0,
      logger: log.child({ informer: "assignments" }),
    });
  }

  /** Handlers get the pod id of an assignment made or removed; `onResync` after every re-list. */
  addHandlers(handlers: InformerHandlers<Assignment>): void {
    this.assignments.addHandlers(handlers);
  }

  start(): Promise<void> {
    return this.assignments.start();
  }

  stop(): void {
    this.assignments.stop();
  }

  /** Re-lists the assignments; `onResync` follows. */
  resync(): Promise<void> {
    return this.assignments.resync();
  }

  /** Whether the pod is assigned here. */
  has(podId: string): boolean {
    return this.assignments.get(podId) !== undefined;
  }

  /** Ids of the pods assigned here. */
  ids(): string[] {
    return this.assignments.names();
  }

  /** The pod from the store; while the store cannot be read, the pod as last read if it is still assigned here. */
  async read(podId: string): Promise<Entry<Pod> | undefined> {
    try {
      const entry = await this.store.get<Pod>(keys.pod(podId));
      if (entry) this.known.set(podId, entry);
      else this.known.delete(podId);
      return entry;
    } catch (err) {
      const known = this.known.get(podId);
      if (!known || !this.assignments.get(podId)) throw err;
      this.log.debug({ err, podId }, "store unreadable: acting on the pod as last read");
      return known;
    }
  }

  /** Writes the pod's status; `change` gets the status and the pod as they are in the store. */
  async writeStatus(podId: string, change: (status: PodStatus, pod: Pod) => PodStatus): Promise<void> {
    const written = await writePodStatus(
      this.store,
      podId,
      this.node,
      change,
      this.clock,
      this.known.get(podId),
    );
    if (written) this.known.set(podId, written);
  }

  /** Removes an assignment whose pod is gone or bound elsewhere (left by a deletion made from a stale view). */
  async dropStale(podId: string): Promise<void> {
    const entry = this.assignments.entry(podId);
    if (!entry) return;
    try {
      await this.store.delete(keys.assignment(this.node, podId), entry.version);
    } catch (err) {
      if (!(err instanceof NotFoundError || err instanceof ConflictError)) throw err;
    }
  }

  forget(podId: string): void {
    this.known.delete(podId);
  }
}
